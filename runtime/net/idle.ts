// Idle timeouts for sockets without a timer per socket.
//
// socket.setTimeout() makes Node refresh a timer on every read and every write (a re-insert in
// the timer list and a clock read): four times per proxied request, a few percent of its CPU
// (bench/RESULTS.md). Here activity is one store of a coarse clock into a field, and one
// interval sweeps every watched socket:
//
//   read / write        -->  w.idleMark = coarseNow()
//   tick (period P)     -->  coarse clock := now; expired if now - idleMark >= timeout + P
//
// The coarse clock lags real time by up to P, hence "+ P": a timeout never fires early, and
// at most 2 P late. P is a quarter of the shortest timeout watched, between 10 ms and 1 s.

export interface IdleWatched {
  /** The coarse time of the last activity (set by the owner on every read and write). */
  idleMark: number;
  /** Milliseconds of inactivity allowed. */
  readonly idleTimeout: number;
  /** Called once when the timeout passes; the watch has already ended. */
  idleExpired(): void;
}

let clock = performance.now();
const watched = new Set<IdleWatched>();
let timer: NodeJS.Timeout | null = null;
let period = 0;

/** A clock that advances once per sweep: cheap enough to read on every event. */
export function coarseNow(): number {
  return clock;
}

export function watchIdle(w: IdleWatched): void {
  clock = performance.now();
  w.idleMark = clock;
  watched.add(w);
  const p = Math.min(1000, Math.max(10, Math.floor(w.idleTimeout / 4)));
  if (timer === null || p < period) {
    if (timer !== null) clearInterval(timer);
    period = p;
    timer = setInterval(sweep, p);
    timer.unref();
  }
}

export function unwatchIdle(w: IdleWatched): void {
  if (!watched.delete(w) || watched.size > 0 || timer === null) return;
  clearInterval(timer);
  timer = null;
}

function sweep(): void {
  const now = (clock = performance.now());
  const slack = period;
  for (const w of watched) {
    if (now - w.idleMark >= w.idleTimeout + slack) {
      watched.delete(w);
      w.idleExpired();
    }
  }
  if (watched.size === 0 && timer !== null) {
    clearInterval(timer);
    timer = null;
  }
}
