// API-key authentication: a key in a header (default x-api-key) or a query parameter must be
// one of the configured keys (inline, or one per line in a file). Keys are kept as SHA-256
// digests so lookups are constant time and the table holds no plaintext.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export class ApiKeyAuth {
  readonly header: string | null;
  readonly queryParam: string | null;
  readonly #digests = new Set<string>();

  constructor(header: string | null, queryParam: string | null, keys: string[], file: string | null) {
    this.header = header;
    this.queryParam = queryParam;
    const all = [...keys];
    if (file) all.push(...readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')));
    for (const k of all) this.#digests.add(digest(k));
  }

  check(key: string | undefined | null): boolean {
    return !!key && this.#digests.has(digest(key));
  }
}

function digest(k: string): string {
  return createHash('sha256').update(k).digest('base64');
}
