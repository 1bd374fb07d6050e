// Path-aware checks for configuration values. Every failure names the resource, the field
// path inside it and the reason, e.g.
//   HTTPRoute default/shop: spec.rules[0].matches[1].path.type: expected one of Exact, PathPrefix, RegularExpression, got 'Glob'
// Unknown fields are errors, not warnings: a misspelt `backendRef` must not silently route nowhere.

import { ConfigError } from '../api/index.ts';

export type Obj = Record<string, unknown>;

export class Checker {
  /** `Kind namespace/name`, prefixed to every message. */
  readonly resource: string;
  constructor(resource: string) {
    this.resource = resource;
  }

  fail(path: string, reason: string): never {
    throw new ConfigError(reason, `${this.resource}: ${path}`);
  }

  /** A plain object with only the `allowed` keys (and all the `required` ones). */
  obj(v: unknown, path: string, allowed: readonly string[], required: readonly string[] = []): Obj {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(path, `expected an object, got ${typeName(v)}`);
    const o = v as Obj;
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k)) this.fail(join(path, k), `unknown field (allowed here: ${allowed.join(', ')})`);
    }
    for (const k of required) if (o[k] === undefined || o[k] === null) this.fail(join(path, k), 'required field is missing');
    return o;
  }

  optObj(v: unknown, path: string, allowed: readonly string[], required: readonly string[] = []): Obj | undefined {
    return v === undefined || v === null ? undefined : this.obj(v, path, allowed, required);
  }

  arr(v: unknown, path: string, opts: { min?: number; max?: number } = {}): unknown[] {
    if (v === undefined || v === null) v = [];
    if (!Array.isArray(v)) this.fail(path, `expected a list, got ${typeName(v)}`);
    const a = v as unknown[];
    if (opts.min !== undefined && a.length < opts.min) this.fail(path, `expected at least ${opts.min} item(s)`);
    if (opts.max !== undefined && a.length > opts.max) this.fail(path, `expected at most ${opts.max} item(s), got ${a.length}`);
    return a;
  }

  str(v: unknown, path: string, opts: { pattern?: RegExp; what?: string; min?: number } = {}): string {
    if (typeof v !== 'string') this.fail(path, `expected a string, got ${typeName(v)}`);
    const s = v as string;
    if (opts.min !== undefined && s.length < opts.min) this.fail(path, `must not be empty`);
    if (opts.pattern && !opts.pattern.test(s)) this.fail(path, `invalid ${opts.what ?? 'value'} '${s}'`);
    return s;
  }

  optStr(v: unknown, path: string, opts: { pattern?: RegExp; what?: string; min?: number } = {}): string | undefined {
    return v === undefined || v === null ? undefined : this.str(v, path, opts);
  }

  int(v: unknown, path: string, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(path, `expected an integer, got ${typeName(v)}`);
    const n = v as number;
    if (n < min || n > max) this.fail(path, `must be between ${min} and ${max}, got ${n}`);
    return n;
  }

  optInt(v: unknown, path: string, min: number, max: number, dflt: number): number {
    return v === undefined || v === null ? dflt : this.int(v, path, min, max);
  }

  bool(v: unknown, path: string, dflt: boolean): boolean {
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'boolean') this.fail(path, `expected true or false, got ${typeName(v)}`);
    return v as boolean;
  }

  oneOf<T extends string>(v: unknown, path: string, values: readonly T[], dflt?: T): T {
    if ((v === undefined || v === null) && dflt !== undefined) return dflt;
    if (typeof v !== 'string' || !values.includes(v as T)) {
      this.fail(path, `expected one of ${values.join(', ')}, got ${v === undefined ? 'nothing' : `'${String(v)}'`}`);
    }
    return v as T;
  }

  /** Gateway API Duration (GEP-2257): `1h`, `30s`, `500ms`, `1m30s`; returns milliseconds. */
  duration(v: unknown, path: string): number {
    const s = this.str(v, path);
    if (!/^([0-9]{1,5}(h|m|s|ms)){1,4}$/.test(s)) this.fail(path, `invalid duration '${s}' (e.g. 10s, 500ms, 1m30s)`);
    let ms = 0;
    for (const m of s.matchAll(/([0-9]+)(h|ms|m|s)/g)) {
      const n = Number(m[1]);
      ms += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
    }
    return ms;
  }

  optDuration(v: unknown, path: string, dflt: number): number {
    return v === undefined || v === null ? dflt : this.duration(v, path);
  }

  regex(v: unknown, path: string, anchored: boolean): RegExp {
    const s = this.str(v, path);
    try {
      return new RegExp(anchored ? `^(?:${s})$` : s);
    } catch (err) {
      this.fail(path, `invalid regular expression: ${(err as Error).message}`);
    }
  }
}

export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `'${v}'`;
  return String(v);
}

export const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
/** RFC 9110 §5.5: a field value never carries CR, LF or NUL (request smuggling otherwise). */
export const HEADER_VALUE = /^[^\r\n\0]*$/;
export const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
