// JSON access log, one line per request, to stdout or a file (appended). The field list is
// chosen at load; each line is built from a record filled during the request. Lines are
// buffered and written once per tick, so a busy gateway does one write per batch.

import { createWriteStream, type WriteStream } from 'node:fs';

export type LogRecord = Record<string, string | number | null>;

export class AccessLog {
  readonly #fields: readonly string[];
  readonly #out: WriteStream | NodeJS.WriteStream;
  #buf: string[] = [];
  #scheduled = false;

  constructor(fields: readonly string[], path: string) {
    this.#fields = fields;
    this.#out = path === 'stdout' ? process.stdout : createWriteStream(path, { flags: 'a' });
  }

  write(r: LogRecord): void {
    const o: LogRecord = {};
    for (const f of this.#fields) o[f] = r[f] ?? null;
    this.#buf.push(JSON.stringify(o));
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#buf.length === 0) return;
    const text = this.#buf.join('\n') + '\n';
    this.#buf = [];
    this.#out.write(text);
  }

  /**
   * Called when a reload retires this log: requests still in flight on the old configuration
   * may write for a while, so a file is closed only after a grace period.
   */
  close(graceMs = 30_000): void {
    this.#flush();
    if (this.#out === process.stdout) return;
    const out = this.#out as WriteStream;
    setTimeout(() => {
      this.#flush();
      out.end();
    }, graceMs).unref();
  }
}
