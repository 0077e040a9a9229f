// Plain JavaScript on purpose: this runs before any TypeScript is loaded, so that a program started
// with the machine's old Node (20) prints one clear line instead of a syntax error from type stripping.
export function requireModernNode(program) {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) {
    process.stderr.write(
      `${program}: needs Node 24 (found ${process.versions.node}); run it through the repo's scripts ` +
        `(npm start / npm test) or as node_modules/.bin/${program} after 'npm run build'\n`,
    );
    process.exit(1);
  }
}
