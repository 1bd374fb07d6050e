#!/usr/bin/env bash
# Makes the example's test material in examples/gateway/certs/: a self-signed certificate for
# the HTTPS listener (openssl), and an RS256 key pair with its JWKS and a sample token (node).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p certs
if command -v openssl >/dev/null; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=api.test" \
    -addext "subjectAltName=DNS:api.test,DNS:*.shop.test,DNS:localhost,IP:127.0.0.1" \
    -keyout certs/tls.key -out certs/tls.crt 2>/dev/null
  echo "certs/tls.crt, certs/tls.key: self-signed for api.test, *.shop.test, localhost"
else
  echo "openssl not found: no certificate (the HTTPS listener will fail to load)" >&2
fi
node --input-type=module -e '
import { generateKeyPairSync, sign } from "node:crypto";
import { writeFileSync } from "node:fs";
const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
writeFileSync("certs/jwks.json", JSON.stringify({ keys: [{ ...publicKey.export({ format: "jwk" }), kid: "example", alg: "RS256", use: "sig" }] }, null, 2));
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
const head = b64({ alg: "RS256", kid: "example", typ: "JWT" });
const body = b64({ iss: "https://issuer.example.test", aud: "api", sub: "demo-user", exp: Math.floor(Date.now() / 1000) + 30 * 86400 });
const sig = sign("sha256", Buffer.from(head + "." + body), privateKey).toString("base64url");
writeFileSync("certs/token.jwt", head + "." + body + "." + sig + "\n");
console.log("certs/jwks.json, certs/token.jwt: RS256 key set and a 30-day token for sub=demo-user");
'
