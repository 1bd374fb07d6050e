// runtime/offload/status.ts: offloadStatus(): which mechanism works, and if
// not, exactly which check failed. Cached for a second (it opens pins and
// reads counters; /status and metrics call it often).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MAP, OBJ } from './layout.gen.ts';
import { bpffsMounted, hopPorts, listServices } from './control.ts';
import { handOffTotals } from './hand-off.ts';
import { pinnedMap, readCounters } from './maps.ts';
import { addonProblem, nativeAddon, objectDir, pinDir } from './native.ts';

export interface OffloadStatus {
  /** at least one mechanism is usable */
  available: boolean;
  /** every failed check, as a sentence */
  reasons: string[];
  localHop: { available: boolean; reason?: string; ports: number[]; sockets: number };
  splice: {
    available: boolean;
    reason?: string;
    /** the hand-off path handOff() uses */
    mode: 'splice';
    started: number;
    active: number;
    bytes: number;
    errors: number;
  };
  connect4: { available: boolean; reason?: string; services: number; originals: number };
  counters: Record<string, number>;
}

const TTL_MS = 1000;
let cached: { at: number; status: OffloadStatus } | null = null;

export function invalidateStatus(): void {
  cached = null;
}

export function offloadStatus(): OffloadStatus {
  const now = Date.now();
  if (cached && now - cached.at < TTL_MS) return cached.status;
  const status = compute();
  cached = { at: now, status };
  return status;
}

function compute(): OffloadStatus {
  const reasons: string[] = [];
  const addon = nativeAddon();
  if (!addon) reasons.push(addonProblem());

  // Checks that explain why nothing is pinned (only when it is not).
  const kernelReasons: string[] = [];
  const hop = pinnedMap(MAP.HOP_SOCKS);
  const svc = pinnedMap(MAP.SERVICES);
  if (addon && (!hop.map || !svc.map)) {
    if (!bpffsMounted(pinDir())) kernelReasons.push(`no bpffs at ${pinDir()} (mount -t bpf bpf /sys/fs/bpf)`);
    if (!existsSync('/sys/kernel/btf/vmlinux')) kernelReasons.push('kernel has no BTF (/sys/kernel/btf/vmlinux)');
    const missingObj = Object.values(OBJ).filter((o) => !existsSync(join(objectDir, o)));
    if (missingObj.length) kernelReasons.push(`BPF objects not built (${missingObj.join(', ')}): npm run build:kernel needs clang, libbpf-dev, bpftool`);
    if (process.getuid?.() !== 0) kernelReasons.push('not root: `sluice kernel up` must be run by root first');
  }

  const localHop: OffloadStatus['localHop'] = { available: !!hop.map, ports: [], sockets: 0 };
  if (hop.map) {
    localHop.ports = hopPorts();
    localHop.sockets = hop.map.keys().length;
  } else {
    localHop.reason = addon ? `${hop.reason}${kernelReasons.length ? '; ' + kernelReasons.join('; ') : ''}` : 'native addon not available';
    reasons.push(`local hop: ${localHop.reason}`);
  }

  const connect4: OffloadStatus['connect4'] = { available: !!svc.map, services: 0, originals: 0 };
  if (svc.map) {
    connect4.services = listServices().length;
    connect4.originals = pinnedMap(MAP.ORIG_TUPLE).map?.keys().length ?? 0;
  } else {
    connect4.reason = addon ? `${svc.reason}${kernelReasons.length ? '; ' + kernelReasons.join('; ') : ''}` : 'native addon not available';
    reasons.push(`connect4: ${connect4.reason}`);
  }

  const t = handOffTotals();
  const splice: OffloadStatus['splice'] = {
    available: !!addon,
    mode: 'splice',
    started: t.started,
    active: t.active,
    bytes: t.bytes + t.activeBytes,
    errors: t.errors,
  };
  if (!addon) splice.reason = 'native addon not available';

  return {
    available: !!addon,
    reasons,
    localHop,
    splice,
    connect4,
    counters: readCounters() ?? {},
  };
}
