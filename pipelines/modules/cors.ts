// CORS (Fetch standard, §3.2): preflight requests (OPTIONS with Origin and
// Access-Control-Request-Method) are answered here; other requests from an allowed origin get
// the Access-Control-Allow-* headers on their response. Origins are compiled to one RegExp.

import { Message } from '../api/index.ts';

export interface CorsOptions {
  allowOrigins: string[];
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  maxAge: number;
  allowCredentials: boolean;
}

export class Cors {
  readonly #any: boolean;
  readonly #origins: RegExp;
  readonly #o: CorsOptions;
  readonly #methods: string;
  readonly #headers: string;
  readonly #expose: string;

  constructor(o: CorsOptions) {
    this.#o = o;
    this.#any = o.allowOrigins.includes('*');
    const alts = o.allowOrigins.filter((x) => x !== '*').map((x) => x.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*'));
    this.#origins = new RegExp(`^(?:${alts.join('|') || '(?!)'})$`, 'i');
    this.#methods = (o.allowMethods.length ? o.allowMethods : ['GET', 'HEAD', 'POST']).join(', ');
    this.#headers = o.allowHeaders.join(', ');
    this.#expose = o.exposeHeaders.join(', ');
  }

  allowed(origin: string): boolean {
    return this.#any || this.#origins.test(origin);
  }

  /** The preflight answer, or null when the request is not a preflight. */
  preflight(method: string, origin: string | undefined, requestMethod: string | undefined, requestHeaders: string | undefined): Message | null {
    if (method !== 'OPTIONS' || !origin || !requestMethod) return null;
    if (!this.allowed(origin)) return new Message({ status: 403, headers: { 'content-type': 'text/plain' } }, 'CORS origin not allowed\n');
    const h: Record<string, string> = {
      'access-control-allow-origin': this.#allowOrigin(origin),
      'access-control-allow-methods': this.#methods,
      'access-control-max-age': String(this.#o.maxAge),
      vary: 'Origin',
    };
    const hdrs = this.#headers === '*' ? requestHeaders : this.#headers;
    if (hdrs) h['access-control-allow-headers'] = hdrs;
    if (this.#o.allowCredentials) h['access-control-allow-credentials'] = 'true';
    return new Message({ status: 204, headers: h });
  }

  /** Adds the response headers for an actual (non-preflight) cross-origin request. */
  decorate(headers: Record<string, string>, origin: string | undefined): void {
    if (!origin || !this.allowed(origin)) return;
    headers['access-control-allow-origin'] = this.#allowOrigin(origin);
    if (this.#o.allowCredentials) headers['access-control-allow-credentials'] = 'true';
    if (this.#expose) headers['access-control-expose-headers'] = this.#expose;
    headers.vary = headers.vary ? `${headers.vary}, Origin` : 'Origin';
  }

  #allowOrigin(origin: string): string {
    // With credentials the literal origin must be echoed (a wildcard is refused by browsers).
    return this.#any && !this.#o.allowCredentials ? '*' : origin;
  }
}
