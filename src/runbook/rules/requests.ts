/**
 * Requests that can only fail, refused before a stage starts: a URL that
 * fetch will not send (another scheme, credentials, a blocked port) and a
 * header value with a line break. A URL that a var begins is checked when
 * it is rendered, before each request (src/engine/http.ts).
 */
import { error, type Finding, type Path } from '../diagnostics.js';
import { referencedNames, renderText } from '../template.js';
import type { Runbook } from '../types.js';
import { urlProblem } from '../url.js';
import { actions, checks } from '../walk.js';

interface Request {
  url?: unknown;
  headers?: unknown;
}

function* requests(rb: Runbook): Generator<{ spec: Request; path: Path }> {
  for (const { value: c, path } of checks(rb)) {
    if (c.http && typeof c.http === 'object') yield { spec: c.http, path: [...path, 'http'] };
    if (c.prometheus && typeof c.prometheus === 'object') yield { spec: c.prometheus, path: [...path, 'prometheus'] };
  }
  for (const { value: a, path } of actions(rb))
    if (a.http && typeof a.http === 'object') yield { spec: a.http, path: [...path, 'http'] };
  for (const [i, n] of (rb.notify ?? []).entries())
    if (typeof n.webhook === 'string') yield { spec: { url: n.webhook }, path: ['notify', i, 'webhook'] };
}

export function requestsSendable(rb: Runbook): Finding[] {
  const out: Finding[] = [];
  for (const { spec, path } of requests(rb)) {
    const urlPath = path.at(-1) === 'webhook' ? path : [...path, 'url'];
    if (typeof spec.url === 'string') {
      const refs = referencedNames(spec.url);
      // A var that starts the URL is its base: known only when it is rendered.
      if (refs[0]?.at !== 0) {
        const problem = urlProblem(renderText(spec.url, () => 'x'));
        // A var in the host or port makes "not a URL" a guess: left to the request.
        if (problem && !(refs.length && problem.startsWith('is not a URL')))
          out.push(error(urlPath, 'url', `the URL ${problem}`));
      }
    }
    if (spec.headers && typeof spec.headers === 'object') {
      for (const [k, v] of Object.entries(spec.headers as Record<string, unknown>)) {
        if (typeof v !== 'string') continue;
        if (/[\r\n\0]/.test(v))
          out.push(
            error(
              [...path, 'headers', k],
              'header-value',
              `header '${k}' has a line break or NUL in its value: an HTTP header value is one line`,
            ),
          );
        // fetch sends header values as bytes: a character past U+00FF cannot be sent.
        else if (/[^\0-\u00ff]/.test(v))
          out.push(
            error(
              [...path, 'headers', k],
              'header-value',
              `header '${k}' has a character an HTTP header cannot carry (past U+00FF): percent-encode it, or send it in the body`,
            ),
          );
      }
    }
  }
  return out;
}
