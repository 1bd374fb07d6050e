// `node probe-child.js --sluice-offload-probe` prints offloadStatus() as JSON: the start-up
// line of report.ts comes from here, so that finding out whether offload is available (which
// loads the native addon and libbpf) costs the proxy nothing it keeps.

import { fileURLToPath } from 'node:url';
import { offloadStatus } from './status.ts';

export const PROBE_FLAG = '--sluice-offload-probe';
export const probeScript = fileURLToPath(import.meta.url);

if (process.argv[2] === PROBE_FLAG && process.argv[1] === probeScript) process.stdout.write(JSON.stringify(offloadStatus()));
