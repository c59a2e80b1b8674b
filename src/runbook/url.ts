/**
 * What a request URL must be before anything is sent: http or https, no
 * credentials (fetch refuses them, and they would sit in the runbook and the
 * journal), and not a port fetch blocks. Checked on literal URLs by
 * `validate`, and on the rendered URL before every request.
 */

/** Ports the fetch standard refuses to connect to (https://fetch.spec.whatwg.org/#port-blocking). */
const BLOCKED_PORTS = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110,
  111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532,
  540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061,
  6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/** Why `text` cannot be requested, or null. Never repeats a password it finds. */
export function urlProblem(
  text: string,
  credentialsHint = 'put them in headers (Authorization) from a secret var',
): string | null {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return `is not a URL (write it whole: http://host:port/path)`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    return `uses ${u.protocol.slice(0, 20)}//: only http and https are requested`;
  if (u.username || u.password) return `carries credentials (user:password@): ${credentialsHint}`;
  if (u.port && BLOCKED_PORTS.has(Number(u.port)))
    return `names port ${u.port}, which fetch refuses to connect to (a blocked port); use another port`;
  return null;
}

/** A URL as messages show it: `user:password@` becomes `***@`. */
export const hideCredentials = (url: string) => url.replace(/\/\/[^@/]*@/, '//***@');
