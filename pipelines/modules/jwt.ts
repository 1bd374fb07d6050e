// JWT bearer authentication (RFC 7519) with keys from a JWKS file (RFC 7517): RS256
// (RSASSA-PKCS1-v1_5, SHA-256) and ES256 (ECDSA P-256, SHA-256, raw r||s signatures per
// RFC 7518 §3.4). Keys are imported once at load; a request costs one signature check.

import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface JwtProvider {
  name: string;
  issuer: string | null;
  audiences: string[];
  jwksFile: string;
  claimToHeaders: { claim: string; header: string }[];
}

interface Key { kid: string | null; alg: 'RS256' | 'ES256'; key: KeyObject }

export interface JwtResult {
  ok: boolean;
  reason: string;
  claims: Record<string, unknown> | null;
  provider: CompiledProvider | null;
}

export class CompiledProvider {
  readonly spec: JwtProvider;
  readonly keys: Key[];
  constructor(spec: JwtProvider) {
    this.spec = spec;
    let jwks: { keys?: Record<string, unknown>[] };
    try {
      jwks = JSON.parse(readFileSync(spec.jwksFile, 'utf8'));
    } catch (err) {
      throw new Error(`cannot read JWKS ${spec.jwksFile}: ${(err as Error).message}`);
    }
    if (!Array.isArray(jwks.keys)) throw new Error(`JWKS ${spec.jwksFile} has no "keys" list`);
    this.keys = [];
    for (const jwk of jwks.keys) {
      const alg = jwk.kty === 'RSA' ? 'RS256' : jwk.kty === 'EC' && jwk.crv === 'P-256' ? 'ES256' : null;
      if (!alg || (jwk.alg !== undefined && jwk.alg !== alg)) continue;
      this.keys.push({ kid: typeof jwk.kid === 'string' ? jwk.kid : null, alg, key: createPublicKey({ key: jwk as never, format: 'jwk' }) });
    }
    if (this.keys.length === 0) throw new Error(`JWKS ${spec.jwksFile} has no RS256 or ES256 key`);
  }
}

export class JwtVerifier {
  readonly providers: CompiledProvider[];
  constructor(specs: JwtProvider[]) {
    this.providers = specs.map((s) => new CompiledProvider(s));
  }

  /** Checks a compact JWS `header.payload.signature`. */
  verify(token: string): JwtResult {
    const parts = token.split('.');
    if (parts.length !== 3) return fail('malformed token');
    let header: { alg?: string; kid?: string };
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString());
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString());
    } catch {
      return fail('malformed token');
    }
    if (header.alg !== 'RS256' && header.alg !== 'ES256') return fail(`unsupported alg ${String(header.alg)}`);
    const data = Buffer.from(`${parts[0]}.${parts[1]}`);
    const sig = Buffer.from(parts[2]!, 'base64url');
    const now = Date.now() / 1000;
    let lastReason = 'no key matches the token';
    for (const p of this.providers) {
      const s = p.spec;
      if (s.issuer !== null && claims.iss !== s.issuer) {
        lastReason = 'issuer mismatch';
        continue;
      }
      for (const k of p.keys) {
        if (k.alg !== header.alg || (header.kid !== undefined && k.kid !== null && k.kid !== header.kid)) continue;
        const good = k.alg === 'RS256' ? verify('sha256', data, k.key, sig) : verify('sha256', data, { key: k.key, dsaEncoding: 'ieee-p1363' }, sig);
        if (!good) {
          lastReason = 'bad signature';
          continue;
        }
        if (typeof claims.exp === 'number' && now >= claims.exp) return fail('token expired');
        if (typeof claims.nbf === 'number' && now < claims.nbf) return fail('token not yet valid');
        if (s.audiences.length) {
          const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
          if (!aud.some((a) => s.audiences.includes(a as string))) return fail('audience mismatch');
        }
        return { ok: true, reason: '', claims, provider: p };
      }
    }
    return fail(lastReason);
  }
}

function fail(reason: string): JwtResult {
  return { ok: false, reason, claims: null, provider: null };
}
