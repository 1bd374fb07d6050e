// ResourcePool: Pipy's `algo.ResourcePool`. Resources (connections, buffers, session
// objects) are made by `allocate(pool)` and kept on a free list per pool name when
// returned, so the next `allocate` of that pool reuses one. A tenant (a stream, a
// context) owns what it allocated; `free(tenant)` returns all of it at once. Without a
// tenant the resource owns itself, so `free(resource)` works as in Pipy.

interface Lease<T> {
  readonly pool: string;
  readonly resource: T;
  /** The tenant's next lease: a tenant usually holds one, so no array per tenant. */
  next: Lease<T> | null;
}

export class ResourcePool<T> {
  readonly #make: (pool: string) => T;
  readonly #destroy: ((resource: T) => void) | undefined;
  readonly #idle = new Map<string, T[]>();
  readonly #leases = new Map<unknown, Lease<T>>();

  /** `allocate` makes a new resource for a pool; `free` destroys idle ones on `clear()`. */
  constructor(allocate: (pool: string) => T, free?: (resource: T) => void) {
    this.#make = allocate;
    this.#destroy = free;
  }

  /** A resource from `pool`'s free list, or a new one; owned by `tenant` (default itself). */
  allocate(pool = '', tenant?: unknown): T {
    const idle = this.#idle.get(pool);
    const resource = idle !== undefined && idle.length > 0 ? idle.pop()! : this.#make(pool);
    const owner = tenant === undefined ? resource : tenant;
    this.#leases.set(owner, { pool, resource, next: this.#leases.get(owner) ?? null });
    return resource;
  }

  /** Returns everything `tenant` holds to its pools. Unknown tenants are ignored; idempotent. */
  free(tenant: unknown): void {
    const first = this.#leases.get(tenant);
    if (first === undefined) return;
    this.#leases.delete(tenant);
    for (let lease: Lease<T> | null = first; lease !== null; lease = lease.next) {
      let idle = this.#idle.get(lease.pool);
      if (idle === undefined) this.#idle.set(lease.pool, (idle = []));
      idle.push(lease.resource);
    }
  }

  /** Idle resources in `pool`. */
  idle(pool = ''): number {
    return this.#idle.get(pool)?.length ?? 0;
  }

  /** Destroys the idle resources; allocated ones stay with their tenants. */
  clear(): void {
    const destroy = this.#destroy;
    if (destroy !== undefined) {
      for (const list of this.#idle.values()) for (const r of list) destroy(r);
    }
    this.#idle.clear();
  }
}
