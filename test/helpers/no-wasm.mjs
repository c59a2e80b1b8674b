// Preloaded with --import: PostgreSQL's parser cannot read its WebAssembly (a
// broken install). Only CommonJS callers see it: libpg-query's loader reads
// the file through require('fs') (the same object as this default export),
// while the CLI's own named imports are untouched.
import fs from 'node:fs';

const read = fs.readFileSync;
fs.readFileSync = function (path, ...rest) {
  if (String(path).endsWith('libpg-query.wasm')) {
    const e = new Error(`ENOENT: no such file or directory, open '${path}'`);
    e.code = 'ENOENT';
    throw e;
  }
  return read.call(this, path, ...rest);
};
