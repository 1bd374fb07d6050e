// The per-request state the plug-ins share. Every plug-in in a `pipe([...])` chain sees the
// same context object, so one plug-in can leave a decision for the next.
export interface PluginContext {
  /** The upstream chosen by the router plug-in ('' = none). */
  target: string;
}

export function newContext(): PluginContext {
  return { target: '' };
}
