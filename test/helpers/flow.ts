// In-process helpers for filter tests: build a layout with pipeline($ => ...), feed it events,
// and read back what came out, without sockets.

import { Data, Kind, Message, MessageEnd, MessageStart, StreamEnd, type Event } from '../../runtime/engine/event.ts';
import type { EventTarget } from '../../runtime/engine/filter.ts';
import type { Pipeline, PipelineLayout } from '../../runtime/engine/pipeline.ts';
import { setLogLevel } from '../../runtime/engine/log.ts';

// Script errors are logged at 'error'; tests provoke them on purpose.
if (!process.env.SLUICE_TEST_LOG) setLogLevel('error');

export class Collector implements EventTarget {
  readonly events: Event[] = [];
  #waiters: (() => void)[] = [];
  input(evt: Event): void {
    this.events.push(evt);
    for (const w of this.#waiters.splice(0)) w();
  }
  /** 'MS D ME SE' style summary; Data shows its text, StreamEnd its code. */
  get summary(): string {
    return this.events.map(show).join(' ');
  }
  get text(): string {
    return this.events.filter((e) => e.kind === Kind.Data).map((e) => (e as Data).toString()).join('');
  }
  get ended(): StreamEnd | null {
    const e = this.events.find((x) => x.kind === Kind.StreamEnd);
    return (e as StreamEnd) ?? null;
  }
  /** Resolves when `pred` holds (checked at each event), rejects after `ms`. */
  until(pred: (c: Collector) => boolean, ms = 2000): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out; got: ${this.summary}`)), ms);
      const check = () => {
        if (pred(this)) {
          clearTimeout(t);
          resolve();
        } else this.#waiters.push(check);
      };
      check();
    });
  }
}

export function show(e: Event): string {
  switch (e.kind) {
    case Kind.Data:
      return `D(${e.toString()})`;
    case Kind.MessageStart:
      return 'MS';
    case Kind.MessageEnd:
      return 'ME';
    case Kind.StreamEnd:
      return e.error ? `SE(${e.error})` : 'SE';
  }
}

/** The events of a whole message. */
export function messageEvents(head: object, body = '', tail: Record<string, string> | null = null): Event[] {
  const out: Event[] = [new MessageStart(head, body.length)];
  if (body) out.push(new Data(body));
  out.push(new MessageEnd(tail));
  return out;
}

export function feed(p: Pipeline, events: Event[]): void {
  for (const e of events) p.input(e);
}

/** Instantiates `layout` with `ctx`, collecting its output. */
export function run<C extends object>(layout: PipelineLayout<C>, ctx: C = {} as C): { p: Pipeline<C>; out: Collector } {
  const out = new Collector();
  const p = layout.instantiate(ctx, out);
  return { p, out };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export { Data, Message, MessageEnd, MessageStart, StreamEnd };

/**
 * Loads `source` as an ES module from a temp folder, as a user script would be: stack frames in
 * it count as the script's (frames under the build folder are the runtime's own).
 */
export async function scriptModule(source: string): Promise<any> {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { pathToFileURL } = await import('node:url');
  const dir = mkdtempSync(join(tmpdir(), 'sluice-flow-'));
  const file = join(dir, 'script.mjs');
  writeFileSync(file, source);
  return import(pathToFileURL(file).href);
}

/** The file URL of a module of this build, for scripts made with scriptModule(). */
export function buildUrl(path: string): string {
  return new URL(`../../${path}`, import.meta.url).href;
}

/**
 * Runs `build(pipeline)` from a script file outside the build (so load-time errors name the
 * script's file:line, as for a user's script) and returns the ConfigError it threw.
 */
export async function configError(body: string): Promise<any> {
  const m = await scriptModule(
    `import { pipeline } from ${JSON.stringify(buildUrl('runtime/api/pipy.js'))};\n` +
      `import { Quota } from ${JSON.stringify(buildUrl('runtime/algo/quota.js'))};\n` +
      `export function build() {\n${body}\n}\n`,
  );
  try {
    m.build();
  } catch (err) {
    return err;
  }
  throw new Error('expected a ConfigError from:\n' + body);
}
