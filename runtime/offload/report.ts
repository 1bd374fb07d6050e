// The offload section of /status, and the start-up line saying whether kernel offload is
// available (and if not, why). Reads the offload controller (runtime/offload/index.ts).
//
// Finding out loads the native addon and libbpf: 1.2 MB of RSS for good, which a proxy that
// never offloads should not carry. So the start-up line comes from a short-lived child
// (probe-child.ts), and this process loads them only when something asks here: /status, or
// a script's first `offload` or `localHop`.

import { log } from '../engine/log.ts';
import { runChild } from '../loader/child.ts';
import { PROBE_FLAG, probeScript } from './probe-child.ts';

type OffloadModule = { offloadStatus(): object };
interface Status { available?: boolean; reasons?: string[] }
let mod: OffloadModule | null = null;
let loadError = 'offload controller not loaded yet';

export async function initOffload(): Promise<void> {
  try {
    mod = (await import('./index.ts')) as unknown as OffloadModule;
  } catch (err) {
    loadError = `offload controller unavailable: ${(err as Error).message}`;
    log.info(`kernel offload off: ${loadError}`);
    return;
  }
  probe().then(
    (s) => {
      if (s.available) log.info('kernel offload available');
      else log.info(`kernel offload off: ${(s.reasons ?? []).join('; ') || 'unknown reason'}`);
    },
    (err: Error) => log.info(`kernel offload: could not find out at start-up (${err.message}); see /status`),
  );
}

/** offloadStatus() as a child process finds it (it does not block start-up, nor keep it alive). */
async function probe(): Promise<Status> {
  const r = await runChild(probeScript, PROBE_FLAG, undefined, { unref: true });
  if (r.status !== 0) throw new Error(r.err.trim() || `exit status ${r.status ?? r.signal}`);
  return JSON.parse(r.out) as Status;
}

export function offloadReport(): object {
  if (!mod) return { available: false, reasons: [loadError] };
  try {
    return mod.offloadStatus();
  } catch (err) {
    return { available: false, reasons: [(err as Error).message] };
  }
}
