// runtime/offload/control.ts: `sluice kernel up | down | status` and the map
// writes that configure the programs (ports, services).
//
// Privilege split: up/down load, attach and pin (root: CAP_BPF,
// CAP_NET_ADMIN, CAP_SYS_ADMIN); everything else opens the pins.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, unlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CONST, MAP, MODE, OBJ, PICK, PROG } from './layout.gen.ts';
import {
  decodePort, decodeService, decodeServiceKey, encodeHopPolicy, encodePort, encodeService, encodeServiceKey,
} from './codec.ts';
import type { Endpoint, Service } from './codec.ts';
import { closeMaps, pinnedMap, readCounters } from './maps.ts';
import { nativeAddon, objectDir, pinDir } from './native.ts';

export interface UpOptions {
  /** cgroup v2 directory to attach to (default: the cgroup2 mount's root) */
  cgroup?: string;
  /** local-hop policy ports */
  ports?: number[];
  /** accelerate only loopback / same-address peers (default true) */
  localOnly?: boolean;
}

/** The first cgroup2 mount point, from /proc/mounts. */
export function cgroup2Root(): string | null {
  try {
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [, mnt, type] = line.split(' ');
      if (type === 'cgroup2' && mnt) return mnt;
    }
  } catch {
    // fall through
  }
  return null;
}

export function bpffsMounted(dir = '/sys/fs/bpf'): boolean {
  try {
    return readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => {
      const [, mnt, type] = l.split(' ');
      return type === 'bpf' && mnt !== undefined && dir.startsWith(mnt);
    });
  } catch {
    return false;
  }
}

function linkDir(): string {
  return join(pinDir(), CONST.LINK_SUBDIR);
}

/** Loads, attaches and pins everything. Throws an Error with a sentence. */
export function kernelUp(opts: UpOptions = {}): { cgroup: string; links: string[] } {
  const addon = nativeAddon();
  if (!addon) throw new Error('native addon not built: run npm run build:native');
  if (process.getuid?.() !== 0) throw new Error('kernel up needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN)');
  const cgroup = opts.cgroup ?? cgroup2Root();
  if (!cgroup) throw new Error('no cgroup v2 mount found in /proc/mounts; pass --cgroup PATH');
  if (!existsSync(join(cgroup, 'cgroup.procs'))) throw new Error(`${cgroup} is not a cgroup v2 directory`);
  for (const o of Object.values(OBJ)) {
    if (!existsSync(join(objectDir, o))) throw new Error(`${join(objectDir, o)} missing: run npm run build:kernel`);
  }
  if (!bpffsMounted()) {
    mkdirSync('/sys/fs/bpf', { recursive: true });
    const r = spawnSync('mount', ['-t', 'bpf', 'bpf', '/sys/fs/bpf'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bpffs is not mounted and mount -t bpf failed: ${r.stderr.trim()}`);
  }
  const pins = pinDir();
  if (existsSync(linkDir()) && readdirSync(linkDir()).length > 0) {
    throw new Error(`already up (links pinned in ${linkDir()}); run kernel down first`);
  }
  mkdirSync(linkDir(), { recursive: true });
  closeMaps();
  const links: string[] = [];
  const attach = (id: number, prog: string): void => {
    const path = join(linkDir(), prog);
    addon.attachCgroup(id, prog, cgroup, path);
    links.push(path);
  };
  try {
    const so = addon.loadObject(join(objectDir, OBJ.SOCKOPS), pins, { hop_local_only: opts.localOnly === false ? 0 : 1 });
    try {
      // Verdict first: a socket must never sit in the sockhash with sk_msg
      // but no verdict program (929e30f93125 epoll stall).
      addon.attachToMap(so.id, PROG.HOP_VERDICT, join(pins, MAP.HOP_SOCKS), addon.attachTypes.skSkbVerdict);
      addon.attachToMap(so.id, PROG.HOP_MSG, join(pins, MAP.HOP_SOCKS), addon.attachTypes.skMsgVerdict);
      attach(so.id, PROG.SOCKOPS);
    } finally {
      addon.closeObject(so.id);
    }
    const c4 = addon.loadObject(join(objectDir, OBJ.CONNECT4), pins, {});
    try {
      for (const p of [PROG.CONNECT4, PROG.CONNECT6, PROG.GETPEERNAME4, PROG.GETPEERNAME6]) attach(c4.id, p);
    } finally {
      addon.closeObject(c4.id);
    }
  } catch (err) {
    kernelDown();
    throw err;
  }
  for (const p of opts.ports ?? []) setHopPort(p, true);
  return { cgroup, links };
}

/** Detaches (unpins the links) and unpins every map it made. Idempotent. */
export function kernelDown(): string[] {
  closeMaps();
  const removed: string[] = [];
  const pins = pinDir();
  if (existsSync(linkDir())) {
    for (const l of readdirSync(linkDir())) {
      unlinkSync(join(linkDir(), l));
      removed.push(join(linkDir(), l));
    }
    rmdirSync(linkDir());
  }
  for (const m of Object.values(MAP)) {
    if (existsSync(join(pins, m))) {
      unlinkSync(join(pins, m));
      removed.push(join(pins, m));
    }
  }
  if (existsSync(pins) && readdirSync(pins).length === 0) rmdirSync(pins);
  return removed;
}

export function setHopPort(port: number, on: boolean): boolean {
  const { map } = pinnedMap(MAP.HOP_PORTS);
  if (!map || !Number.isInteger(port) || port <= 0 || port > 65535) return false;
  try {
    if (on) map.update(encodePort(port), encodeHopPolicy(CONST.HOP_ENABLED));
    else map.delete(encodePort(port));
    return true;
  } catch {
    return false;
  }
}

export function hopPorts(): number[] {
  const { map } = pinnedMap(MAP.HOP_PORTS);
  return map ? map.keys().map(decodePort).sort((a, b) => a - b) : [];
}

export interface ServiceSpec {
  vip: Endpoint;
  mode: 'l4' | 'l7';
  /** L7: the local Sluice listener */
  proxy?: Endpoint;
  /** L4: up to CONST.MAX_BACKENDS backends */
  backends?: Endpoint[];
  /** L4: 'random' (default) or 'cookie' (sticky per socket) */
  pick?: 'random' | 'cookie';
}

/** Adds or replaces a connect4 service. Throws with a sentence. */
export function setService(spec: ServiceSpec): void {
  const { map, reason } = pinnedMap(MAP.SERVICES);
  if (!map) throw new Error(`cannot set service: ${reason}`);
  const key = encodeServiceKey(spec.vip);
  const svc: Service = spec.mode === 'l7'
    ? { mode: MODE.L7, pick: PICK.RANDOM, proxy: spec.proxy, backends: [] }
    : { mode: MODE.L4, pick: spec.pick === 'cookie' ? PICK.COOKIE : PICK.RANDOM, backends: spec.backends ?? [] };
  if (spec.mode === 'l7' && !spec.proxy) throw new Error('an l7 service needs the proxy address');
  if (spec.mode === 'l4' && svc.backends.length === 0) throw new Error('an l4 service needs at least one backend');
  const value = encodeService(svc);
  if (!key || !value) throw new Error(`service addresses must be IPv4 and at most ${CONST.MAX_BACKENDS} backends`);
  map.update(key, value);
}

export function deleteService(vip: Endpoint): boolean {
  const { map } = pinnedMap(MAP.SERVICES);
  const key = encodeServiceKey(vip);
  return !!map && !!key && map.delete(key);
}

export function listServices(): Array<{ vip: Endpoint; service: Service }> {
  const { map } = pinnedMap(MAP.SERVICES);
  if (!map) return [];
  const out: Array<{ vip: Endpoint; service: Service }> = [];
  for (const k of map.keys()) {
    const v = map.lookup(k);
    if (v) out.push({ vip: decodeServiceKey(k), service: decodeService(v) });
  }
  return out;
}

export interface KernelReport {
  pinDir: string;
  links: Array<{ name: string; progId: number; progName?: string; cgroupId?: string }>;
  maps: Array<{ name: string; entries: number | null; maxEntries: number; reason?: string }>;
  ports: number[];
  counters: Record<string, number> | null;
}

export function kernelReport(): KernelReport {
  const addon = nativeAddon();
  const links: KernelReport['links'] = [];
  if (addon && existsSync(linkDir())) {
    for (const l of readdirSync(linkDir()).sort()) {
      try {
        const li = addon.linkInfo(join(linkDir(), l));
        links.push({ name: l, progId: li.progId, progName: li.progName, cgroupId: li.cgroupId?.toString() });
      } catch (err) {
        links.push({ name: l, progId: 0, progName: `unreadable: ${(err as Error).message}` });
      }
    }
  }
  const maps: KernelReport['maps'] = [];
  for (const name of Object.values(MAP)) {
    const { map, reason } = pinnedMap(name);
    if (!map) {
      maps.push({ name, entries: null, maxEntries: 0, reason });
      continue;
    }
    // Arrays always hold max_entries; hash-like maps are counted by walking keys.
    const isArray = name === MAP.COUNTERS;
    maps.push({ name, entries: isArray ? map.info.maxEntries : map.keys().length, maxEntries: map.info.maxEntries });
  }
  return { pinDir: pinDir(), links, maps, ports: hopPorts(), counters: readCounters() };
}
