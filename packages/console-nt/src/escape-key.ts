/** Parses `-e`: '^]', 'ctrl-]', 'C-]' or one character; returns the byte. */
export function parseEscapeKey(spec: string): number {
  const s = spec.trim();
  const key = /^(?:\^|ctrl-|c-)(.)$/i.exec(s)?.[1];
  if (key !== undefined) {
    const ch = key.toUpperCase().charCodeAt(0);
    if (ch < 0x40 || ch > 0x5f) throw new Error(`-e '${spec}': no control key for '${key}'`);
    return ch & 0x1f;
  }
  if (s.length === 1) return s.charCodeAt(0);
  throw new Error(`-e '${spec}': expected a key like ^] or ctrl-a`);
}

export function describeEscapeKey(byte: number): string {
  return byte < 0x20 ? `Ctrl-${String.fromCharCode(byte | 0x40)}` : String.fromCharCode(byte);
}
