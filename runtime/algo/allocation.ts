/** A LoadBalancer's bookkeeping for one target. Shared with Allocation so free() is O(1). */
export interface Slot<T> {
  readonly target: T;
  /** Allocations not yet freed. */
  load: number;
  weight: number;
  /** Most concurrent allocations; 0 is unlimited. */
  capacity: number;
  healthy: boolean;
  /** Smooth weighted round robin credit. */
  current: number;
}

/**
 * One use of a target handed out by `LoadBalancer.allocate()`; `free()` gives it back.
 * Each allocation is its own object so a late or repeated `free()` can never release
 * somebody else's use (a pooled handle could not promise that).
 */
export class Allocation<T> {
  readonly target: T;
  #slot: Slot<T> | null;

  constructor(slot: Slot<T>) {
    this.target = slot.target;
    this.#slot = slot;
  }

  get freed(): boolean {
    return this.#slot === null;
  }

  /** Idempotent. Still correct after the target was removed by `provision()`. */
  free(): void {
    const slot = this.#slot;
    if (slot === null) return;
    this.#slot = null;
    slot.load--;
  }
}
