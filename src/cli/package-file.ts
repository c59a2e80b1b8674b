/**
 * A file shipped in the package (package.json, docs/), found from wherever
 * this code runs: src/ under the tests, dist/ after tsc, dist/bundle/ in the
 * published CLI. The nearest package.json above is the package's own.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageFile(relative: string): string {
  if (root === undefined) {
    let dir = dirname(fileURLToPath(import.meta.url));
    while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
    root = dir;
  }
  return join(root, relative);
}
