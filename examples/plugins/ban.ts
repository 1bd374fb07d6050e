// Plug-in: refuses clients on a deny list with 403; everyone else goes on to the next plug-in.
import { pipeline, Message } from 'sluice';
import type { PluginContext } from './context.ts';

// 127.0.0.2 is a loopback address too (all of 127.0.0.0/8 is), handy to try this locally:
//   curl --interface 127.0.0.2 localhost:8000/hi
const denied = new Set(['127.0.0.2', '192.0.2.1']);

export default pipeline<PluginContext>(($) =>
  $.branch(
    (ctx) => denied.has(ctx.inbound.remoteAddress),
    ($) => $.replaceMessage(new Message({ status: 403 }, 'Access denied\n')),
    ($) => $.pipeNext(),
  ),
);
