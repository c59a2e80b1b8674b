// Bundles the CLI into dist/bundle/: our modules and js-yaml's CommonJS
// become a few chunks, one per lazily imported part (a command, the SQL
// lint, the live board), so a command still loads only what it runs, in far
// fewer files. Node resolves and compiles each module file separately; that
// was most of a one-step stage's cost beyond its step.
// The other dependencies stay external: they load as before, one resolved
// copy each (tests patch listr2's renderer and watch what a command loads).
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const bundled = new Set(['js-yaml']);
const external = Object.keys(pkg.dependencies)
  .filter((name) => !bundled.has(name))
  .flatMap((name) => [name, `${name}/*`]);
const outdir = new URL('dist/bundle/', root).pathname;

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [new URL('dist/cli/main.js', root).pathname],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  // Bundled CommonJS may require node builtins; an ES module has no `require` of its own.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
