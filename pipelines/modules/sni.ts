// Reads the server name (SNI, RFC 6066 §3) from a TLS ClientHello without terminating TLS, so
// a passthrough listener can route by it. Only the first record is read: a ClientHello split
// across records or reads yields null (the route without hostnames then applies).
//
//   record: type(1)=22 version(2) length(2) | handshake: type(1)=1 length(3) version(2)
//   random(32) session_id(1+n) cipher_suites(2+n) compression(1+n) extensions(2+n)
//   extension: type(2) length(2) data;  server_name (type 0): list(2) [name_type(1)=0 len(2) name]

export function parseSNI(buf: Buffer): string | null {
  if (buf.length < 5 || buf[0] !== 22) return null;
  const recEnd = Math.min(buf.length, 5 + buf.readUInt16BE(3));
  let p = 5;
  if (p + 4 > recEnd || buf[p] !== 1) return null;
  p += 4 + 2 + 32;
  if (p + 1 > recEnd) return null;
  p += 1 + buf[p]!;
  if (p + 2 > recEnd) return null;
  p += 2 + buf.readUInt16BE(p);
  if (p + 1 > recEnd) return null;
  p += 1 + buf[p]!;
  if (p + 2 > recEnd) return null;
  const extEnd = Math.min(recEnd, p + 2 + buf.readUInt16BE(p));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = buf.readUInt16BE(p);
    const len = buf.readUInt16BE(p + 2);
    p += 4;
    if (type === 0) {
      let q = p + 2;
      const listEnd = Math.min(p + len, extEnd);
      while (q + 3 <= listEnd) {
        const nameType = buf[q]!;
        const nameLen = buf.readUInt16BE(q + 1);
        q += 3;
        if (q + nameLen > listEnd) return null;
        if (nameType === 0) return buf.toString('ascii', q, q + nameLen).toLowerCase();
        q += nameLen;
      }
      return null;
    }
    p += len;
  }
  return null;
}
