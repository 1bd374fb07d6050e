// `sluice gateway [config]`: checks the configuration before anything starts (so a typo is
// reported at once, with the resource and field), hands the gateway script its path through
// SLUICE_GATEWAY_CONFIG, and watches the file or folder: a change reloads (SIGHUP), and an
// invalid change is refused by the reload while the previous configuration keeps serving.

import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { log } from '../api/index.ts';
import { loadConfig } from './config.ts';

let watcher: FSWatcher | null = null;

/** Returns the gateway script to run for `configPath` (undefined: the embedded demo). */
export async function prepareGateway(configPath: string | undefined): Promise<string> {
  if (configPath !== undefined) {
    const abs = resolve(configPath);
    loadConfig(abs); // throws ConfigError: resource, field path, reason
    process.env.SLUICE_GATEWAY_CONFIG = abs;
    watchConfig(abs);
  } else {
    process.env.SLUICE_GATEWAY_CONFIG = '';
  }
  return fileURLToPath(new URL('./main.js', import.meta.url));
}

/** Debounced: editors write a file in several steps (truncate, write, rename). */
function watchConfig(path: string, debounceMs = Number(process.env.SLUICE_GATEWAY_WATCH_DEBOUNCE ?? 300)): void {
  if (watcher || process.env.SLUICE_GATEWAY_WATCH === '0') return;
  let timer: NodeJS.Timeout | null = null;
  // A file is watched through its folder: editors often replace it (write + rename), which
  // ends a watch on the file itself.
  const isDir = statSync(path).isDirectory();
  const dir = isDir ? path : dirname(path);
  const name = basename(path);
  try {
    watcher = watch(dir, { persistent: false }, (_event, file) => {
      if (!isDir && file !== null && file !== name) return;
      if (isDir && file !== null && !/\.ya?ml$/.test(String(file))) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        log.info(`gateway: ${path} changed, reloading`);
        // The CLI reloads on SIGHUP (every worker, with --threads).
        process.kill(process.pid, 'SIGHUP');
      }, debounceMs);
    });
    watcher.on('error', (err) => log.warn(`gateway: watching ${path} failed: ${err.message}`));
  } catch (err) {
    log.warn(`gateway: cannot watch ${path}: ${(err as Error).message}; reload with SIGHUP`);
  }
}
