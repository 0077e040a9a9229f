// The page of colinux-console-web: xterm.js showing the guest console. Binary WebSocket frames are
// terminal bytes (guest output in, keystrokes out); text frames are JSON control messages
// (packages/console-web/src/web-console.ts, PageMessage).
import { Terminal } from '/xterm.mjs';

const $ = (id) => document.getElementById(id);
const term = new Terminal({
  cols: 80,
  rows: 25,
  fontSize: 15,
  fontFamily: "'DejaVu Sans Mono', 'Liberation Mono', monospace",
  scrollback: 1000,
  cursorBlink: true,
});
term.open($('terminal'));
let writer = false;

const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
ws.binaryType = 'arraybuffer';
const encoder = new TextEncoder();
const send = (message) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(message));

ws.onmessage = (ev) => {
  if (typeof ev.data !== 'string') return term.write(new Uint8Array(ev.data));
  const m = JSON.parse(ev.data);
  switch (m.type) {
    case 'hello':
      document.title = `Console - Cooperative Linux - monitor ${m.monitor}`;
      $('title').textContent = `monitor ${m.monitor} · tab ${m.tab}`;
      $('menu').replaceChildren(
        ...m.menu.map((item) => {
          const b = document.createElement('button');
          b.textContent = item.label;
          b.dataset.key = item.key;
          b.title = `${m.escape} then ${item.key}`;
          b.onclick = () => send({ type: 'menu', key: item.key });
          return b;
        }),
      );
      break;
    case 'state':
      writer = m.writer;
      document.body.dataset.role = m.writer ? 'writer' : 'viewer';
      $('role').textContent = m.text;
      $('take-over').hidden = !m.canTakeOver;
      term.options.disableStdin = !m.writer;
      break;
    case 'screen':
      // A full repaint follows in the next binary frame.
      term.reset();
      term.resize(m.cols, m.rows);
      fit();
      break;
    case 'notice':
      $('notice').textContent = m.text;
      break;
    case 'dropped':
      $('dropped').textContent = `this tab fell behind: ${m.bytes} bytes of output dropped, screen repainted`;
      break;
    case 'end':
      ended(m.text);
      break;
  }
};
ws.onclose = () => {
  if (document.body.dataset.role !== 'ended') ended('connection to colinux-console-web closed');
};

function ended(text) {
  document.body.dataset.role = 'ended';
  $('role').textContent = text;
  $('take-over').hidden = true;
  for (const b of document.querySelectorAll('#menu button')) b.disabled = true;
  term.options.disableStdin = true;
}

term.onData((data) => {
  if (writer && ws.readyState === WebSocket.OPEN) ws.send(encoder.encode(data));
});
$('take-over').onclick = () => send({ type: 'take-over' });

// The guest's console has a fixed geometry (cocon=); the page scales the font so that all of it
// fits the window, on load, on each repaint and whenever the window is resized.
function fit() {
  const box = $('terminal');
  const screen = box.querySelector('.xterm-screen');
  if (!screen || screen.clientWidth === 0) return;
  const size = term.options.fontSize;
  const scale = Math.min((box.clientWidth - 8) / screen.clientWidth, (box.clientHeight - 8) / screen.clientHeight);
  const next = Math.max(6, Math.min(32, Math.floor(size * scale * 10) / 10));
  if (Math.abs(next - size) >= 0.2) term.options.fontSize = next;
}
window.addEventListener('resize', fit);
fit();
term.focus();
