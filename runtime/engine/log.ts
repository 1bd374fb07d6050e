// One logger for the process. Lines are `time level message`, to stderr, so stdout stays free
// for access logs. The level is checked before a message is built.

export const Levels = { error: 0, warn: 1, info: 2, debug: 3 } as const;
export type LogLevel = keyof typeof Levels;

let threshold: number = Levels.info;
let prefix = '';

export function setLogLevel(level: LogLevel): void {
  if (!(level in Levels)) throw new Error(`unknown log level '${level}' (error, warn, info, debug)`);
  threshold = Levels[level];
}

/** Set by worker processes so that their lines can be told apart. */
export function setLogPrefix(p: string): void {
  prefix = p ? `[${p}] ` : '';
}

export function enabled(level: LogLevel): boolean {
  return Levels[level] <= threshold;
}

function write(level: LogLevel, msg: string): void {
  process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${prefix}${msg}\n`);
}

export const log = {
  error(msg: string): void { if (threshold >= Levels.error) write('error', msg); },
  warn(msg: string): void { if (threshold >= Levels.warn) write('warn', msg); },
  info(msg: string): void { if (threshold >= Levels.info) write('info', msg); },
  debug(msg: string): void { if (threshold >= Levels.debug) write('debug', msg); },
};
