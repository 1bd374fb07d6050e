// Client IP allow/deny lists (CIDRs), compiled once into node:net BlockLists. Deny wins; an
// allow list, when present, admits only what it names.

import { BlockList, isIPv4 } from 'node:net';

export class IPFilter {
  readonly #allow: BlockList | null;
  readonly #deny: BlockList | null;

  constructor(allow: string[], deny: string[]) {
    this.#allow = allow.length ? build(allow) : null;
    this.#deny = deny.length ? build(deny) : null;
  }

  admits(ip: string): boolean {
    const a = normalise(ip);
    const type = isIPv4(a) ? 'ipv4' : 'ipv6';
    if (this.#deny?.check(a, type)) return false;
    if (this.#allow && !this.#allow.check(a, type)) return false;
    return true;
  }
}

function normalise(ip: string): string {
  // Dual-stack sockets report IPv4 clients as ::ffff:a.b.c.d.
  return ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

function build(cidrs: string[]): BlockList {
  const b = new BlockList();
  for (const c of cidrs) {
    const [addr, bits] = c.split('/');
    const type = isIPv4(addr!) ? 'ipv4' : 'ipv6';
    if (bits === undefined) b.addAddress(addr!, type);
    else b.addSubnet(addr!, Number(bits), type);
  }
  return b;
}
