// A running script: its listeners, reload and drain.
//
// Reload builds the new script completely first (import, designer checks, new ports bound).
// Only then does it switch: ports kept by the new script swap layouts in place (the server
// socket never closes, so no connection is refused), ports it dropped stop accepting, and the
// old script's exit handlers run. Connections already open finish on the layout they began
// with. If anything fails before the switch, newly bound ports are closed again and the old
// script keeps serving untouched.

import { Listener } from '../net/listener.ts';
import { log } from '../engine/log.ts';
import { lifecycle } from '../engine/lifecycle.ts';
import { counters } from '../admin/counters.ts';
import { loadScript } from './load-script.ts';
import type { LoadScope } from '../api/pipy.ts';
import type { SluiceError } from '../engine/errors.ts';

export interface ReloadResult {
  ok: boolean;
  error?: string;
}

export class Worker {
  readonly path: string;
  readonly listeners = new Map<string, Listener>();
  #scope: LoadScope | null = null;
  #loadedAt = 0;
  lastError: string | null = null;

  constructor(path: string) {
    this.path = path;
  }

  get loadedAt(): number {
    return this.#loadedAt;
  }

  async start(): Promise<void> {
    const scope = await loadScript(this.path);
    await this.#apply(scope);
  }

  async reload(): Promise<ReloadResult> {
    let scope: LoadScope;
    try {
      scope = await loadScript(this.path);
      await this.#apply(scope);
    } catch (err) {
      counters.reloadFailures++;
      const e = err as SluiceError;
      this.lastError = e.message;
      log.error(`reload failed, still serving the previous script: ${e.message}`);
      return { ok: false, error: e.message };
    }
    counters.reloads++;
    this.lastError = null;
    log.info(`reloaded ${this.path}`);
    return { ok: true };
  }

  async #apply(scope: LoadScope): Promise<void> {
    const keep = new Map<string, Listener>();
    const started: Listener[] = [];
    try {
      for (const decl of scope.listeners) {
        const key = `${decl.config.host}:${decl.config.port}`;
        const old = decl.config.port !== 0 ? this.listeners.get(key) : undefined;
        if (old) keep.set(key, old);
        else {
          const l = new Listener(decl.config, decl.layout);
          await l.start();
          started.push(l);
        }
      }
    } catch (err) {
      for (const l of started) await l.stopAccepting();
      throw err;
    }
    // The switch: synchronous, so no connection sees half of it.
    const oldScope = this.#scope;
    const next = new Map<string, Listener>();
    for (const decl of scope.listeners) {
      const key = `${decl.config.host}:${decl.config.port}`;
      const l = keep.get(key);
      if (l) {
        l.layout = decl.layout;
        next.set(key, l);
      }
    }
    for (const l of started) next.set(`${l.config.host}:${l.port}`, l);
    const dropped = [...this.listeners.entries()].filter(([k]) => !next.has(k)).map(([, l]) => l);
    this.listeners.clear();
    for (const [k, l] of next) this.listeners.set(k, l);
    this.#scope = scope;
    this.#loadedAt = Date.now();
    for (const l of dropped) {
      log.info(`no longer listening on ${l.key}`);
      void l.stopAccepting();
    }
    if (oldScope) await runExitHandlers(oldScope);
  }

  /** Stops accepting, lets in-flight work finish for up to `graceMs`, then closes the rest. */
  async drain(graceMs: number): Promise<void> {
    lifecycle.draining = true;
    await Promise.all([...this.listeners.values()].map((l) => l.drain(graceMs)));
    if (this.#scope) await runExitHandlers(this.#scope);
  }
}

async function runExitHandlers(scope: LoadScope): Promise<void> {
  for (const fn of scope.exitHandlers) {
    try {
      await fn();
    } catch (err) {
      log.warn(`exit handler failed: ${(err as Error).message}`);
    }
  }
}
