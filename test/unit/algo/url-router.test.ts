import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { URLRouter } from '../../../runtime/algo/url-router.ts';

const router = new URLRouter<string>({
  '/status': 'any:/status exact',
  '/': 'any:/ exact',
  '/*': 'any:everything',
  '/api/*': 'any:/api prefix',
  '/api/v1/*': 'any:/api/v1 prefix',
  '/api/v1/users': 'any:/api/v1/users exact',
  '/api/*/users': 'any:/api/*/users',
  '/api/*/users/*': 'any:/api/*/users prefix',
  '/trailing/': 'any:/trailing/ exact',
  'example.com/api/*': 'example:/api prefix',
  'example.com/only-here': 'example:/only-here exact',
  '*.example.com/*': 'wild example:everything',
  '*.eu.example.com/api/*': 'wild eu:/api prefix',
  '*/star-host': 'star host is any host',
});

// [host, path, expected] — host '' means the one-argument find(path).
const table: Array<[string, string, string | undefined]> = [
  // exact path over prefix, longer prefix over shorter
  ['', '/status', 'any:/status exact'],
  ['', '/status/x', 'any:everything'],
  ['', '/', 'any:/ exact'],
  ['', '/other', 'any:everything'],
  ['', '/api', 'any:/api prefix'],
  ['', '/api/', 'any:/api prefix'],
  ['', '/api/x/y/z', 'any:/api prefix'],
  ['', '/apix', 'any:everything'],
  ['', '/api/v1', 'any:/api/v1 prefix'],
  ['', '/api/v1/orders', 'any:/api/v1 prefix'],
  ['', '/api/v1/users', 'any:/api/v1/users exact'],
  // literal segment beats '*' at the same depth; '*' is one non-empty segment
  ['', '/api/v2/users', 'any:/api/*/users'],
  ['', '/api/v2/users/7', 'any:/api/*/users prefix'],
  ['', '/api/v1/users/7', 'any:/api/v1 prefix'],
  ['', '/api//users', 'any:/api prefix'],
  ['', '/trailing/', 'any:/trailing/ exact'],
  ['', '/trailing', 'any:everything'],
  // query and fragment are ignored
  ['', '/status?x=1/2', 'any:/status exact'],
  ['', '/status#top', 'any:/status exact'],
  ['', '/api/v1/users?q=/status', 'any:/api/v1/users exact'],
  // exact host over wildcard host over any host, case-insensitive, :port ignored
  ['example.com', '/api/x', 'example:/api prefix'],
  ['EXAMPLE.com:8080', '/api/x', 'example:/api prefix'],
  ['example.com.', '/api/x', 'example:/api prefix'],
  ['example.com', '/only-here', 'example:/only-here exact'],
  // no path match in the exact host's table falls back to the any-host table
  ['example.com', '/status', 'any:/status exact'],
  ['a.example.com', '/status', 'wild example:everything'],
  ['A.B.Example.COM:443', '/x', 'wild example:everything'],
  ['x.eu.example.com', '/api/1', 'wild eu:/api prefix'],
  ['x.eu.example.com', '/other', 'wild example:everything'],
  // a wildcard host needs at least one label before the suffix
  ['eu.example.com', '/api/1', 'wild example:everything'],
  ['notexample.com', '/status', 'any:/status exact'],
  ['other.org', '/star-host', 'star host is any host'],
  ['[::1]:8080', '/status', 'any:/status exact'],
  // paths must be origin-form
  ['', 'status', undefined],
  ['', '', undefined],
];

test('precedence table', () => {
  for (const [host, path, expected] of table) {
    const got = host === '' ? router.find(path) : router.find(host, path);
    assert.is(got, expected, `${host}${path}`);
  }
});

test('repeated finds use the host cache and stay correct', () => {
  for (let i = 0; i < 3; i++) {
    assert.is(router.find('Example.com', '/api/q'), 'example:/api prefix');
    assert.is(router.find('zzz.example.com', '/q'), 'wild example:everything');
  }
});

test('no routes, or no match, gives undefined', () => {
  const r = new URLRouter<number>();
  assert.is(r.find('/x'), undefined);
  assert.is(r.find('h', '/x'), undefined);
  r.add('h.com/x', 1);
  assert.is(r.find('/x'), undefined, 'a host route does not match find(path)');
  assert.is(r.find('other.com', '/x'), undefined);
  assert.is(r.find('h.com', '/y'), undefined);
  assert.is(r.find('h.com', '/x'), 1);
});

test('add after find takes effect, including for a cached host', () => {
  const r = new URLRouter<string>({ '/*': 'fallback' });
  assert.is(r.find('h.com', '/a'), 'fallback');
  r.add('h.com/a', 'specific');
  assert.is(r.find('h.com', '/a'), 'specific');
  r.add('/a', 'replaced');
  r.add('/a', 'again');
  assert.is(r.find('/a'), 'again', 'a pattern added twice keeps the later value');
});

test('undefined and falsy values are stored, not treated as misses', () => {
  const r = new URLRouter<number | undefined>({ '/zero': 0, '/undef': undefined, '/*': 9 });
  assert.is(r.find('/zero'), 0);
  assert.is(r.find('/undef'), undefined);
  assert.is(r.find('/zzz'), 9);
});

test('segments whose hashes collide are told apart', () => {
  // 's6rnw' and 'snpba' have the same 32-bit FNV-1a hash (found by brute force).
  const r = new URLRouter<number>({ '/s6rnw/*': 1, '/snpba': 2 });
  assert.is(r.find('/s6rnw/x'), 1);
  assert.is(r.find('/snpba'), 2);
  assert.is(r.find('/snpba/x'), undefined);
  assert.is(r.find('/s6rnw'), 1);
});

test('5000 sibling prefixes all resolve', () => {
  const r = new URLRouter<number>();
  for (let i = 0; i < 5000; i++) r.add(`/s${i}/*`, i);
  for (let i = 0; i < 5000; i++) assert.is(r.find(`/s${i}/x`), i);
  assert.is(r.find('/s5000/x'), undefined);
});

test('bad patterns are ConfigErrors', () => {
  for (const p of ['no-slash', 'host:80/x', '/a*b', '/a/*x/c', 'a.*.com/x', 'ex*.com/x']) {
    try {
      new URLRouter({ [p]: 1 });
      assert.unreachable(`${p} accepted`);
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ConfigInvalid', p);
      assert.is((err as { path?: string }).path, p);
    }
  }
});

test.run();
