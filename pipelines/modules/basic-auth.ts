// HTTP Basic authentication (RFC 7617) against htpasswd lines: `user:{SHA}base64(sha1)`
// (`htpasswd -s`), `user:{SHA256}base64(sha256)` or `user:{PLAIN}password`. Hashes are compared
// in constant time. bcrypt/MD5-crypt lines are refused at load: we cannot check them.

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

export class BasicAuth {
  readonly #users = new Map<string, { algo: 'sha1' | 'sha256' | 'plain'; hash: Buffer }>();

  constructor(lines: string[], file: string | null) {
    const all = [...lines];
    if (file) all.push(...readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')));
    for (const line of all) {
      const i = line.indexOf(':');
      const user = line.slice(0, i);
      const pw = line.slice(i + 1);
      if (pw.startsWith('{SHA}')) this.#users.set(user, { algo: 'sha1', hash: Buffer.from(pw.slice(5), 'base64') });
      else if (pw.startsWith('{SHA256}')) this.#users.set(user, { algo: 'sha256', hash: Buffer.from(pw.slice(8), 'base64') });
      else if (pw.startsWith('{PLAIN}')) this.#users.set(user, { algo: 'plain', hash: Buffer.from(pw.slice(7)) });
      else throw new Error(`user '${user}': unsupported password format (use {SHA}, {SHA256} or {PLAIN})`);
    }
  }

  /** The user name when `authorization` holds valid Basic credentials, else null. */
  check(authorization: string | undefined): string | null {
    if (!authorization || !/^basic /i.test(authorization)) return null;
    const dec = Buffer.from(authorization.slice(6).trim(), 'base64').toString();
    const i = dec.indexOf(':');
    if (i < 0) return null;
    const u = this.#users.get(dec.slice(0, i));
    if (!u) return null;
    const pw = dec.slice(i + 1);
    const got = u.algo === 'plain' ? Buffer.from(pw) : createHash(u.algo).update(pw).digest();
    return got.length === u.hash.length && timingSafeEqual(got, u.hash) ? dec.slice(0, i) : null;
  }
}
