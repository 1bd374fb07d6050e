// runtime/offload/codec.ts: Buffers in the layouts of kernel/include/sluice.h
// (through layout.gen.ts; never hand-copied offsets).
import { isIPv4 } from 'node:net';
import { endianness } from 'node:os';
import { CONST, LAYOUT } from './layout.gen.ts';

const T = LAYOUT.sluice_tuple;
const SK = LAYOUT.sluice_service_key;
const SV = LAYOUT.sluice_service;
const EP = LAYOUT.sluice_endpoint;
const OR = LAYOUT.sluice_orig;
const LE = endianness() === 'LE';

export interface Endpoint {
  address: string;
  port: number;
}

/** '1.2.3.4' or '::ffff:1.2.3.4' -> the four bytes in network order; else null. */
export function ip4Bytes(address: string): Buffer | null {
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (!isIPv4(a)) return null;
  return Buffer.from(a.split('.').map(Number));
}

function writeIp4(buf: Buffer, offset: number, address: string): boolean {
  const b = ip4Bytes(address);
  if (!b) return false;
  b.copy(buf, offset);
  return true;
}

function readIp4(buf: Buffer, offset: number): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

/** A sluice_tuple as seen from the socket whose local end is `local`. */
export function encodeTuple(local: Endpoint, remote: Endpoint): Buffer | null {
  const buf = Buffer.alloc(T.size);
  if (!writeIp4(buf, T.fields.local_ip4_be.offset, local.address)) return null;
  if (!writeIp4(buf, T.fields.remote_ip4_be.offset, remote.address)) return null;
  buf.writeUInt16BE(local.port, T.fields.local_port_be.offset);
  buf.writeUInt16BE(remote.port, T.fields.remote_port_be.offset);
  return buf;
}

export function decodeTuple(buf: Buffer): { local: Endpoint; remote: Endpoint } {
  return {
    local: { address: readIp4(buf, T.fields.local_ip4_be.offset), port: buf.readUInt16BE(T.fields.local_port_be.offset) },
    remote: { address: readIp4(buf, T.fields.remote_ip4_be.offset), port: buf.readUInt16BE(T.fields.remote_port_be.offset) },
  };
}

export function encodeServiceKey(vip: Endpoint): Buffer | null {
  const buf = Buffer.alloc(SK.size);
  if (!writeIp4(buf, SK.fields.vip4_be.offset, vip.address)) return null;
  buf.writeUInt16BE(vip.port, SK.fields.port_be.offset);
  return buf;
}

export function decodeServiceKey(buf: Buffer): Endpoint {
  return { address: readIp4(buf, SK.fields.vip4_be.offset), port: buf.readUInt16BE(SK.fields.port_be.offset) };
}

export interface Service {
  mode: number; // MODE.L4 | MODE.L7
  pick: number; // PICK.*
  proxy?: Endpoint; // L7
  backends: Endpoint[]; // L4
}

function writeEndpoint(buf: Buffer, offset: number, ep: Endpoint): boolean {
  if (!writeIp4(buf, offset + EP.fields.ip4_be.offset, ep.address)) return false;
  buf.writeUInt16BE(ep.port, offset + EP.fields.port_be.offset);
  return true;
}

function readEndpoint(buf: Buffer, offset: number): Endpoint {
  return {
    address: readIp4(buf, offset + EP.fields.ip4_be.offset),
    port: buf.readUInt16BE(offset + EP.fields.port_be.offset),
  };
}

export function encodeService(svc: Service): Buffer | null {
  const buf = Buffer.alloc(SV.size);
  if (svc.backends.length > CONST.MAX_BACKENDS) return null;
  buf.writeUInt8(svc.mode, SV.fields.mode.offset);
  buf.writeUInt8(svc.pick, SV.fields.pick.offset);
  buf.writeUInt8(svc.backends.length, SV.fields.count.offset);
  if (svc.proxy && !writeEndpoint(buf, SV.fields.proxy.offset, svc.proxy)) return null;
  for (let i = 0; i < svc.backends.length; i++) {
    if (!writeEndpoint(buf, SV.fields.backends.offset + i * SV.fields.backends.size, svc.backends[i]!)) return null;
  }
  return buf;
}

export function decodeService(buf: Buffer): Service {
  const count = buf.readUInt8(SV.fields.count.offset);
  const backends: Endpoint[] = [];
  for (let i = 0; i < count; i++) backends.push(readEndpoint(buf, SV.fields.backends.offset + i * SV.fields.backends.size));
  return {
    mode: buf.readUInt8(SV.fields.mode.offset),
    pick: buf.readUInt8(SV.fields.pick.offset),
    proxy: readEndpoint(buf, SV.fields.proxy.offset),
    backends,
  };
}

export function decodeOrig(buf: Buffer): Endpoint & { mode: number } {
  return {
    address: readIp4(buf, OR.fields.ip4_be.offset),
    port: buf.readUInt16BE(OR.fields.port_be.offset),
    mode: buf.readUInt8(OR.fields.mode.offset),
  };
}

/** sluice_hop_ports key: a __u16 in host byte order. */
export function encodePort(port: number): Buffer {
  const buf = Buffer.alloc(2);
  if (LE) buf.writeUInt16LE(port);
  else buf.writeUInt16BE(port);
  return buf;
}

export function decodePort(buf: Buffer): number {
  return LE ? buf.readUInt16LE(0) : buf.readUInt16BE(0);
}

export function encodeHopPolicy(flags: number): Buffer {
  const buf = Buffer.alloc(LAYOUT.sluice_hop_policy.size);
  if (LE) buf.writeUInt32LE(flags, LAYOUT.sluice_hop_policy.fields.flags.offset);
  else buf.writeUInt32BE(flags, LAYOUT.sluice_hop_policy.fields.flags.offset);
  return buf;
}

/** A host-order __u64 (per-CPU counter slot). */
export function readU64(buf: Buffer, offset: number): bigint {
  return LE ? buf.readBigUInt64LE(offset) : buf.readBigUInt64BE(offset);
}

/** A host-order __u32 (array map key). */
export function encodeU32(v: number): Buffer {
  const buf = Buffer.alloc(4);
  if (LE) buf.writeUInt32LE(v);
  else buf.writeUInt32BE(v);
  return buf;
}
