import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Data, type Event } from '../../../runtime/engine/event.ts';
import { Filter } from '../../../runtime/engine/filter.ts';
import { PipelineLayout } from '../../../runtime/engine/pipeline.ts';
import { pipeline } from '../../../runtime/api/pipy.ts';
import { run, Collector } from '../../helpers/flow.ts';

/** Appends its tag to every Data; counts clones and shutdowns. */
class Tag extends Filter {
  static clones = 0;
  static shutdowns = 0;
  readonly tag: string;
  constructor(tag: string) {
    super();
    this.tag = tag;
  }
  clone(): Tag {
    Tag.clones++;
    return new Tag(this.tag);
  }
  describe(): string {
    return 'tag';
  }
  input(evt: Event): void {
    this.output.input(evt.kind === 0 ? new Data(evt.toString() + this.tag) : evt);
  }
  override shutdown(): void {
    Tag.shutdowns++;
    // Anything emitted while shutting down must go nowhere.
    this.output.input(new Data('late'));
  }
}

function layoutOf(...tags: string[]): PipelineLayout {
  const l = new PipelineLayout('t');
  for (const t of tags) l.filters.push(new Tag(t));
  return l;
}

test('Pipeline: filters are cloned per instance and chained in order', () => {
  Tag.clones = 0;
  const l = layoutOf('1', '2', '3');
  const { p, out } = run(l);
  assert.is(Tag.clones, 3);
  p.input(new Data('x'));
  assert.is(out.text, 'x123');
  const q = run(l);
  q.p.input(new Data('y'));
  assert.is(q.out.text, 'y123');
  assert.is(Tag.clones, 6);
  p.shutdown();
  q.p.shutdown();
});

test('Pipeline: an empty layout passes events straight to its output', () => {
  const { p, out } = run(new PipelineLayout('empty'));
  p.input(new Data('x'));
  assert.is(out.text, 'x');
  p.shutdown();
});

test('Pipeline: output can be re-pointed', () => {
  const { p, out } = run(layoutOf('!'));
  const other = new Collector();
  p.input(new Data('a'));
  p.output = other;
  p.input(new Data('b'));
  assert.is(out.text, 'a!');
  assert.is(other.text, 'b!');
  p.shutdown();
});

test('Pipeline.shutdown: every filter once, idempotent, nothing emitted after, live back to 0', () => {
  Tag.shutdowns = 0;
  const l = layoutOf('a', 'b');
  const { p, out } = run(l);
  assert.is(l.live, 1);
  assert.not.ok(p.ended);
  p.shutdown();
  p.shutdown();
  assert.is(Tag.shutdowns, 2);
  assert.ok(p.ended);
  assert.is(l.live, 0);
  assert.is(out.text, '');
});

test('leak: many instances of nested layouts all released', () => {
  const inner = pipeline(($) => $.handleData(() => {}));
  const outer = pipeline(($) => $.pipe(inner).fork().to(inner));
  for (let i = 0; i < 100; i++) {
    const { p } = run(outer);
    p.input(new Data('x'));
    p.shutdown();
  }
  assert.is(outer.live, 0);
  assert.is(inner.live, 0);
});

test('layout: newContext uses the factory, else a fresh object', () => {
  const l = new PipelineLayout<{ n: number }>('c');
  const a = l.newContext();
  assert.equal(a, {});
  assert.is.not(l.newContext(), a);
  l.contextFactory = () => ({ n: 1 });
  assert.equal(l.newContext(), { n: 1 });
});

test.run();
