// The host programs the tests start, and the Debian package each comes from, read from
// test/debian-packages.txt (the list `npm test` installs from, through scripts/test-packages.mjs).
// A test calls requireTool() before it starts a program, so a missing one fails the test at once,
// naming the package, instead of as a timeout further on.
import { locate, readPackageList } from '../scripts/test-packages.mjs';

export { locate, PACKAGE_LIST, readPackageList } from '../scripts/test-packages.mjs';

/**
 * Returns the path of `tool` (a program on PATH, or an absolute path), or throws one line naming
 * the Debian package to install. A tool missing from test/debian-packages.txt is an error too, so
 * the list cannot fall behind the tests.
 */
export function requireTool(tool: string): string {
  const pkg = readPackageList().find((p) => p.tools.includes(tool))?.name;
  if (pkg === undefined) throw new Error(`${tool} is not in test/debian-packages.txt: add the Debian package that provides it`);
  const path = locate(tool);
  if (path === undefined) throw new Error(`${tool} not found: install the Debian package ${pkg} (apt-get install ${pkg}, or run npm test as root)`);
  return path;
}
