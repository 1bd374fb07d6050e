// The public scripting API: what `import ... from 'sluice'` gives a script. Pipeline modules
// in pipelines/ import only this file, never runtime/ directly.

export { pipy, pipeline } from '../../runtime/api/pipy.ts';
export type { ListenDeclOptions } from '../../runtime/api/pipy.ts';
export { Designer } from '../../runtime/api/designer.ts';
export type {
  Ctx,
  BranchCond,
  Output,
  Sub,
  ConnectOptions,
  DemuxHTTPOptions,
  MuxHTTPOptions,
  MessageOptions,
  HTTPLimitsOptions,
} from '../../runtime/api/designer.ts';
export type { WaitOptions } from '../../runtime/filters/wait.ts';
export type { ReplayOptions } from '../../runtime/filters/replay.ts';
export type { ThrottleOptions, QuotaSource } from '../../runtime/filters/throttle-base.ts';
export type { Insertable } from '../../runtime/filters/insert.ts';
export { Data, Message, MessageStart, MessageEnd, StreamEnd, Kind, StreamEndCodes } from '../../runtime/engine/event.ts';
export type { Event, StreamEndCode, Head, Tail } from '../../runtime/engine/event.ts';
export { PipelineLayout } from '../../runtime/engine/pipeline.ts';
export { SluiceError, ConfigError, StreamError } from '../../runtime/engine/errors.ts';
export { RequestHead, ResponseHead } from '../../runtime/codecs/http1/head.ts';
export type { Headers, RequestHeadInit, ResponseHeadInit } from '../../runtime/codecs/http1/head.ts';
export type { InboundInfo } from '../../runtime/net/inbound.ts';
export type { ListenOptions } from '../../runtime/net/listener.ts';
export { metrics, Counter, Gauge, Histogram } from '../../runtime/admin/metrics.ts';
export { log } from '../../runtime/engine/log.ts';
export { importModule } from '../../runtime/loader/import-module.ts';
export * as algo from '../../runtime/algo/index.ts';
export {
  URLRouter,
  RoundRobinLoadBalancer,
  LoadBalancer,
  Quota,
  KeyedQuota,
  Cache,
  ResourcePool,
  hashKey,
} from '../../runtime/algo/index.ts';
