import { ConfigError } from '../engine/errors.ts';
import { hashString } from './hash.ts';

// URLRouter: Pipy's `algo.URLRouter`, a map from URL patterns to values.
//
//   pattern             matches
//   '/status'           path exactly '/status', any host
//   '/api/*'            '/api', '/api/' and everything under it, any host
//   '/api/*/users'      one non-empty segment in place of '*'
//   '*/api/*'           same as '/api/*' ('*' alone is "any host")
//   'example.com/api/*' host example.com (any case, any :port)
//   '*.example.com/*'   hosts ending in '.example.com' (one or more labels)
//
// Precedence: an exact host, then wildcard hosts (longest suffix first), then any host;
// the first host whose table has a matching path wins. Within one table: a literal
// segment beats '*' at the same depth, an exact path beats a prefix ending at the same
// segment, and a longer prefix beats a shorter one.
//
// Layout: per host, a segment trie. Children are keyed by a hash of the segment computed
// from the path's char codes, and confirmed with `startsWith(segment, pos)`, so `find`
// reads the path in place: no slices, no regex, O(path length). Host lookups go through
// a small cache from the raw Host header to the list of tries to try, so a repeated host
// costs one Map lookup and no lowercasing.

/** A value stored at a trie node; boxed so `undefined` is a storable value. */
interface Route<T> {
  value: T;
}

interface PathNode<T> {
  readonly segment: string;
  /** Children by `hashString(segment)`; chains through `collision` on a hash clash. */
  children: Map<number, PathNode<T>> | null;
  collision: PathNode<T> | null;
  /** The child for a '*' segment in the middle of a pattern. */
  star: PathNode<T> | null;
  /** A pattern that ends exactly at this node. */
  exact: Route<T> | null;
  /** A pattern ending in '/*' at this node: matches here and anything below. */
  prefix: Route<T> | null;
}

/** Bounds the host cache: Host headers are client input, so misses must not grow memory. */
const HOST_CACHE_MAX = 4096;
const SLASH = 47;

function newNode<T>(segment: string): PathNode<T> {
  return { segment, children: null, collision: null, star: null, exact: null, prefix: null };
}

function childOf<T>(node: PathNode<T>, path: string, start: number, end: number): PathNode<T> | null {
  const children = node.children;
  if (children === null) return null;
  let c = children.get(hashString(path, start, end)) ?? null;
  const len = end - start;
  while (c !== null) {
    if (c.segment.length === len && path.startsWith(c.segment, start)) return c;
    c = c.collision;
  }
  return null;
}

function addChild<T>(node: PathNode<T>, segment: string): PathNode<T> {
  const found = childOf(node, segment, 0, segment.length);
  if (found !== null) return found;
  const child = newNode<T>(segment);
  const h = hashString(segment, 0, segment.length);
  const children = (node.children ??= new Map());
  child.collision = children.get(h) ?? null;
  children.set(h, child);
  return child;
}

/** Matches the path from `pos` (just after a '/') to `end`; deepest match first. */
function matchPath<T>(node: PathNode<T>, path: string, pos: number, end: number): Route<T> | null {
  let segEnd = path.indexOf('/', pos);
  if (segEnd < 0 || segEnd > end) segEnd = end;
  const last = segEnd === end;
  const child = childOf(node, path, pos, segEnd);
  if (child !== null) {
    const hit = last ? (child.exact ?? child.prefix) : matchPath(child, path, segEnd + 1, end);
    if (hit !== null) return hit;
  }
  const star = node.star;
  if (star !== null && segEnd > pos) {
    const hit = last ? (star.exact ?? star.prefix) : matchPath(star, path, segEnd + 1, end);
    if (hit !== null) return hit;
  }
  return node.prefix;
}

/** Lowercases and drops a `:port` and a trailing dot; handles `[v6]:port`. */
function normalizeHost(host: string): string {
  let end = host.length;
  const bracket = host.lastIndexOf(']');
  const colon = host.lastIndexOf(':');
  if (colon > bracket && (bracket >= 0 || host.indexOf(':') === colon)) end = colon;
  if (end > 0 && host.charCodeAt(end - 1) === 46) end--;
  return host.slice(0, end).toLowerCase();
}

export class URLRouter<T> {
  readonly #exactHosts = new Map<string, PathNode<T>>();
  /** Keyed by the suffix with its leading dot: '*.example.com' is '.example.com'. */
  readonly #wildHosts = new Map<string, PathNode<T>>();
  #anyHost: PathNode<T> | null = null;
  /** The tries `find(path)` searches: [anyHost] or none. */
  #anyChain: PathNode<T>[] = [];
  /** Raw Host header -> the tries to search, most specific first. Cleared by `add`. */
  readonly #chains = new Map<string, PathNode<T>[]>();

  constructor(routes?: Record<string, T>) {
    if (routes) {
      for (const pattern of Object.keys(routes)) this.add(pattern, routes[pattern] as T);
    }
  }

  /** Adds a route; a pattern added twice keeps the later value (as Pipy does). */
  add(pattern: string, value: T): void {
    const slash = pattern.indexOf('/');
    if (slash < 0) throw new ConfigError('URL pattern needs a path starting with "/"', pattern);
    const root = this.#hostRoot(pattern, pattern.slice(0, slash).toLowerCase());
    const segments = pattern.slice(slash + 1).split('/');
    const isPrefix = segments[segments.length - 1] === '*';
    if (isPrefix) segments.pop();
    let node = root;
    for (const seg of segments) {
      if (seg === '*') {
        node = node.star ??= newNode<T>('*');
      } else if (seg.includes('*')) {
        throw new ConfigError('"*" must be a whole path segment', pattern);
      } else {
        node = addChild(node, seg);
      }
    }
    if (isPrefix) node.prefix = { value };
    else node.exact = { value };
    this.#chains.clear();
  }

  /**
   * The value of the best route for `host` and `path`, or undefined. With one argument,
   * `path` is matched against any-host routes only. A query string or fragment is ignored.
   * The path is matched as given: percent-decoding and dot-segment removal are the caller's.
   */
  find(path: string): T | undefined;
  find(host: string, path: string): T | undefined;
  find(hostOrPath: string, maybePath?: string): T | undefined {
    let path: string;
    let chain: PathNode<T>[];
    if (maybePath === undefined) {
      path = hostOrPath;
      chain = this.#anyChain;
    } else {
      path = maybePath;
      chain = this.#chains.get(hostOrPath) ?? this.#resolve(hostOrPath);
    }
    if (path.charCodeAt(0) !== SLASH) return undefined;
    let end = path.indexOf('?');
    if (end < 0) end = path.length;
    const hash = path.indexOf('#');
    if (hash >= 0 && hash < end) end = hash;
    for (let i = 0; i < chain.length; i++) {
      const hit = matchPath(chain[i]!, path, 1, end);
      if (hit !== null) return hit.value;
    }
    return undefined;
  }

  #hostRoot(pattern: string, host: string): PathNode<T> {
    if (host.includes(':')) throw new ConfigError('URL pattern host must not have a port', pattern);
    if (host === '' || host === '*') {
      if (this.#anyHost === null) {
        this.#anyHost = newNode<T>('');
        this.#anyChain = [this.#anyHost];
      }
      return this.#anyHost;
    }
    let table = this.#exactHosts;
    let key = host;
    if (host.startsWith('*.')) {
      table = this.#wildHosts;
      key = host.slice(1);
    }
    if (key.includes('*')) throw new ConfigError('"*" in a host must be its whole first label', pattern);
    let root = table.get(key);
    if (root === undefined) table.set(key, (root = newNode<T>('')));
    return root;
  }

  /** Slow path for a Host not seen since the last `add`: builds and caches its chain. */
  #resolve(rawHost: string): PathNode<T>[] {
    const host = normalizeHost(rawHost);
    const chain: PathNode<T>[] = [];
    const exact = this.#exactHosts.get(host);
    if (exact !== undefined) chain.push(exact);
    if (this.#wildHosts.size > 0) {
      for (let dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1)) {
        const wild = this.#wildHosts.get(host.slice(dot));
        if (wild !== undefined) chain.push(wild);
      }
    }
    if (this.#anyHost !== null) chain.push(this.#anyHost);
    if (this.#chains.size >= HOST_CACHE_MAX) this.#chains.clear();
    this.#chains.set(rawHost, chain);
    return chain;
  }
}
