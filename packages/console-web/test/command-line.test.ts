// colinux-console-web's own command-line rules: loopback unless --allow-remote, one line and
// status 2 for a bad --listen, status 1 and nothing left listening when no manager answers.
import { join } from 'node:path';
import t from 'tap';
import { REPO, runToEnd, sandbox } from '@colinux/daemon/test/helpers';

const WEB_BIN = join(REPO, 'packages/console-web/bin/colinux-console-web.js');

t.test('listen addresses and a missing manager', async (t) => {
  const sb = sandbox();
  t.teardown(() => sb.cleanup());
  const remote = await runToEnd(WEB_BIN, ['--listen', '0.0.0.0:0'], sb.env);
  t.equal(remote.code, 2);
  t.match(remote.stderr, /^colinux-console-web: --listen 0\.0\.0\.0:0: not a loopback address; .*--allow-remote/);
  t.equal(remote.stderr.trim().split('\n').length, 1, 'one line');
  const bad = await runToEnd(WEB_BIN, ['--listen', 'localhost'], sb.env);
  t.same([bad.code, bad.stderr], [2, "colinux-console-web: --listen 'localhost': expected <host>:<port>, e.g. 127.0.0.1:8080 or [::1]:8080\n"]);
  const port = await runToEnd(WEB_BIN, ['--listen', '[::1]:70000'], sb.env);
  t.match(port, { code: 2, stderr: /port 70000 is beyond 65535/ });
  const none = await runToEnd(WEB_BIN, ['--allow-remote', '--listen', '0.0.0.0:0'], sb.env);
  t.equal(none.code, 1);
  t.match(none.stderr, /^colinux-console-web: cannot reach the manager \(ENOENT\); is a monitor running\?\n$/);
  t.equal(none.stdout, '', 'no URL printed');
});
