// runtime/offload/maps.ts: the pinned maps, opened lazily and kept open.
// Opening a pin needs read/write access to the file, not CAP_BPF: this is
// how the proxy uses what `sluice kernel up` made.
import { join } from 'node:path';
import { CTR, MAP } from './layout.gen.ts';
import { encodeU32, readU64 } from './codec.ts';
import { nativeAddon, pinDir } from './native.ts';
import type { MapInfo, NativeAddon } from './native.ts';

export type MapName = (typeof MAP)[keyof typeof MAP];

export class PinnedMap {
  readonly name: MapName;
  readonly info: MapInfo;
  readonly fd: number;
  readonly #addon: NativeAddon;

  constructor(addon: NativeAddon, name: MapName, fd: number) {
    this.#addon = addon;
    this.name = name;
    this.fd = fd;
    this.info = addon.mapInfo(fd);
  }

  lookup(key: Buffer): Buffer | null {
    return this.#addon.mapLookup(this.fd, key, this.info.valueSize);
  }

  update(key: Buffer, value: Buffer, flags = 0): void {
    this.#addon.mapUpdate(this.fd, key, value, flags);
  }

  delete(key: Buffer): boolean {
    return this.#addon.mapDelete(this.fd, key);
  }

  keys(limit = 1 << 20): Buffer[] {
    return this.#addon.mapKeys(this.fd, this.info.keySize, limit);
  }

  close(): void {
    this.#addon.closeFd(this.fd);
  }
}

const open = new Map<string, PinnedMap>();

/** The pinned map, or null with the reason (errors are not thrown). */
export function pinnedMap(name: MapName): { map: PinnedMap | null; reason: string } {
  const addon = nativeAddon();
  if (!addon) return { map: null, reason: 'native addon not available' };
  const path = join(pinDir(), name);
  const hit = open.get(path);
  if (hit) return { map: hit, reason: '' };
  try {
    const map = new PinnedMap(addon, name, addon.objGet(path));
    open.set(path, map);
    return { map, reason: '' };
  } catch (err) {
    const e = err as Error & { code?: string };
    const why = e.code === 'ENOENT' ? 'not pinned (run `sluice kernel up`)'
      : e.code === 'EACCES' || e.code === 'EPERM' ? 'no permission to open it' : e.message;
    return { map: null, reason: `${path}: ${why}` };
  }
}

/** Forgets every open map (after `kernel down`, or when the pin dir changes). */
export function closeMaps(): void {
  for (const m of open.values()) m.close();
  open.clear();
}

/** Sums the per-CPU sluice_counters into { name: value }. */
export function readCounters(): Record<string, number> | null {
  const addon = nativeAddon();
  const { map } = pinnedMap(MAP.COUNTERS);
  if (!addon || !map) return null;
  const cpus = addon.possibleCpus();
  const slot = Math.ceil(map.info.valueSize / 8) * 8; // per-CPU values are 8-byte aligned
  const out: Record<string, number> = {};
  for (const [name, index] of Object.entries(CTR)) {
    const key = encodeU32(index);
    const v = addon.mapLookup(map.fd, key, slot * cpus);
    let sum = 0n;
    if (v) for (let c = 0; c < cpus; c++) sum += readU64(v, c * slot);
    out[name] = Number(sum);
  }
  return out;
}
