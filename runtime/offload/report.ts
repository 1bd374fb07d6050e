// The offload section of /status: why offload is on or off. Reads the offload controller
// (runtime/offload/index.ts) when it is built; otherwise says so.

import { log } from '../engine/log.ts';

type OffloadModule = { offloadStatus(): object };
let mod: OffloadModule | null = null;
let loadError = 'offload controller not loaded yet';

export async function initOffload(): Promise<void> {
  try {
    mod = (await import('./index.ts')) as unknown as OffloadModule;
    const s = mod.offloadStatus() as { available?: boolean; reasons?: string[] };
    if (s.available) log.info('kernel offload available');
    else log.info(`kernel offload off: ${(s.reasons ?? []).join('; ') || 'unknown reason'}`);
  } catch (err) {
    loadError = `offload controller unavailable: ${(err as Error).message}`;
    log.info(`kernel offload off: ${loadError}`);
  }
}

export function offloadReport(): object {
  if (!mod) return { available: false, reasons: [loadError] };
  try {
    return mod.offloadStatus();
  } catch (err) {
    return { available: false, reasons: [(err as Error).message] };
  }
}
