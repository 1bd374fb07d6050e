// The top-level scripting calls: `pipy.listen(...)` and `pipeline(...)`. Calls made while a
// script is being loaded are collected in the current LoadScope; the loader then binds them
// all (or none, if any fails) so a broken script never replaces a working one.

import { ConfigError } from '../engine/errors.ts';
import { PipelineLayout } from '../engine/pipeline.ts';
import { parseListen, type ListenerConfig, type ListenOptions } from '../net/listener.ts';
import { Designer, type Sub } from './designer.ts';
import { callerLocation } from './where.ts';

export interface ListenerDecl {
  readonly config: ListenerConfig;
  readonly layout: PipelineLayout;
  readonly where: string;
}

export class LoadScope {
  readonly listeners: ListenerDecl[] = [];
  readonly exitHandlers: (() => void | Promise<void>)[] = [];
}

let scope: LoadScope | null = null;

export function beginLoad(): LoadScope {
  scope = new LoadScope();
  return scope;
}

export function endLoad(): void {
  scope = null;
}

export interface ListenDeclOptions<C> extends ListenOptions {
  /** Creates each connection's context object (its fields are the stream's typed state). */
  context?: () => C;
}

function listen<C extends object = {}>(
  target: number | string,
  optionsOrBuilder: ListenDeclOptions<C> | Sub<C>,
  builder?: Sub<C>,
): PipelineLayout<C> {
  const where = `pipy.listen() at ${callerLocation()}`;
  if (!scope) throw new ConfigError('pipy.listen() can only be called while a script loads (at the top level)', where);
  let options: ListenDeclOptions<C> = {};
  if (builder === undefined) builder = optionsOrBuilder as Sub<C>;
  else options = (optionsOrBuilder ?? {}) as ListenDeclOptions<C>;
  const { context, ...listenOpts } = options;
  if (context !== undefined && typeof context !== 'function') throw new ConfigError('context must be a function returning a new object', where);
  const config = parseListen(target, listenOpts, where);
  const layout = Designer.build(builder, `listen ${target}`, where);
  if (context) layout.contextFactory = context;
  for (const l of scope.listeners) {
    if (l.config.port === config.port && config.port !== 0 && l.config.host === config.host) {
      throw new ConfigError(`port ${config.port} is already declared by ${l.where}`, where);
    }
  }
  scope.listeners.push({ config, layout, where });
  return layout;
}

/** Declares a reusable pipeline layout (for `.to()`, `pipe()` and plug-in chains). */
export function pipeline<C extends object = any>(builder: (d: Designer<C>) => unknown, options?: { name?: string; context?: () => C }): PipelineLayout<C> {
  const layout = Designer.build(builder, options?.name ?? 'pipeline', `pipeline() at ${callerLocation()}`);
  if (options?.context) layout.contextFactory = options.context;
  return layout;
}

export const pipy = Object.freeze({
  listen,
  /** Registers a function run when this script is retired (reload or shutdown). */
  exit(fn: () => void | Promise<void>): void {
    if (!scope) throw new ConfigError('pipy.exit() can only be called while a script loads', callerLocation());
    scope.exitHandlers.push(fn);
  },
});
