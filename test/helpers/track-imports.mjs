// Preloaded with --import: reports every module the process loads, so a test
// can prove which commands stay light.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function load(url, context, next) {
  process.stderr.write('import: ' + url + '\\n');
  return next(url, context);
}`),
);
