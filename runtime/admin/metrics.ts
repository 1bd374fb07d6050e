// A small Prometheus registry for scripts and pipeline modules: counters, gauges and
// histograms with fixed label names. Label values are joined into one key per series at
// observe time; series are created on first use. Rendering happens only on scrape.

import { ConfigError } from '../engine/errors.ts';

type Labels = readonly string[];

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(names: Labels, values: readonly string[], extra = ''): string {
  const parts: string[] = [];
  for (let i = 0; i < names.length; i++) parts.push(`${names[i]}="${escapeLabel(values[i] ?? '')}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(',')}}` : '';
}

abstract class Metric {
  readonly name: string;
  readonly help: string;
  readonly labels: Labels;
  constructor(name: string, help: string, labels: Labels) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new ConfigError(`invalid metric name '${name}'`, 'metrics');
    for (const l of labels) if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(l)) throw new ConfigError(`invalid label name '${l}'`, `metrics ${name}`);
    this.name = name;
    this.help = help;
    this.labels = labels;
  }
  abstract render(out: string[]): void;
}

export class Counter extends Metric {
  readonly #series = new Map<string, { values: string[]; n: number }>();
  increase(n = 1, ...values: string[]): void {
    const k = values.join('\u0000');
    const s = this.#series.get(k);
    if (s) s.n += n;
    else this.#series.set(k, { values, n });
  }
  get(...values: string[]): number {
    return this.#series.get(values.join('\u0000'))?.n ?? 0;
  }
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`);
    for (const s of this.#series.values()) out.push(`${this.name}${labelText(this.labels, s.values)} ${s.n}`);
  }
}

export class Gauge extends Metric {
  readonly #series = new Map<string, { values: string[]; n: number }>();
  set(n: number, ...values: string[]): void {
    const k = values.join('\u0000');
    const s = this.#series.get(k);
    if (s) s.n = n;
    else this.#series.set(k, { values, n });
  }
  increase(n = 1, ...values: string[]): void {
    const k = values.join('\u0000');
    const s = this.#series.get(k);
    if (s) s.n += n;
    else this.#series.set(k, { values, n });
  }
  decrease(n = 1, ...values: string[]): void {
    this.increase(-n, ...values);
  }
  get(...values: string[]): number {
    return this.#series.get(values.join('\u0000'))?.n ?? 0;
  }
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`);
    for (const s of this.#series.values()) out.push(`${this.name}${labelText(this.labels, s.values)} ${s.n}`);
  }
}

export const DEFAULT_BUCKETS = Object.freeze([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

export class Histogram extends Metric {
  readonly buckets: readonly number[];
  readonly #series = new Map<string, { values: string[]; counts: number[]; sum: number; n: number }>();
  constructor(name: string, help: string, labels: Labels, buckets: readonly number[] = DEFAULT_BUCKETS) {
    super(name, help, labels);
    this.buckets = [...buckets].sort((a, b) => a - b);
  }
  /** Records one observation (seconds, by Prometheus convention). */
  observe(v: number, ...values: string[]): void {
    const k = values.join('\u0000');
    let s = this.#series.get(k);
    if (!s) this.#series.set(k, (s = { values, counts: new Array(this.buckets.length).fill(0), sum: 0, n: 0 }));
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) if (v <= b[i]!) s.counts[i]!++;
    s.sum += v;
    s.n++;
  }
  count(...values: string[]): number {
    return this.#series.get(values.join('\u0000'))?.n ?? 0;
  }
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`);
    for (const s of this.#series.values()) {
      for (let i = 0; i < this.buckets.length; i++) {
        out.push(`${this.name}_bucket${labelText(this.labels, s.values, `le="${this.buckets[i]}"`)} ${s.counts[i]}`);
      }
      out.push(`${this.name}_bucket${labelText(this.labels, s.values, 'le="+Inf"')} ${s.n}`);
      out.push(`${this.name}_sum${labelText(this.labels, s.values)} ${s.sum}`);
      out.push(`${this.name}_count${labelText(this.labels, s.values)} ${s.n}`);
    }
  }
}

const registry = new Map<string, Metric>();

function register<M extends Metric>(m: M): M {
  const old = registry.get(m.name);
  // A reloaded script declares its metrics again: keep the series it had.
  if (old) {
    if (old.constructor !== m.constructor || old.labels.join() !== m.labels.join()) {
      throw new ConfigError(`metric '${m.name}' is already registered with another type or labels`, 'metrics');
    }
    return old as M;
  }
  registry.set(m.name, m);
  return m;
}

export const metrics = {
  counter(name: string, help: string, labels: Labels = []): Counter {
    return register(new Counter(name, help, labels));
  },
  gauge(name: string, help: string, labels: Labels = []): Gauge {
    return register(new Gauge(name, help, labels));
  },
  histogram(name: string, help: string, labels: Labels = [], buckets?: readonly number[]): Histogram {
    return register(new Histogram(name, help, labels, buckets));
  },
};

export function renderRegistry(out: string[]): void {
  for (const m of registry.values()) m.render(out);
}
