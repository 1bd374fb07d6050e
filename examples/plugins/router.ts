// Plug-in: proxies the paths it knows to their upstream; other requests go on to the next
// plug-in.
import { pipeline, URLRouter } from 'sluice';
import type { PluginContext } from './context.ts';

const routes = new URLRouter<string>({
  '/hi/*': '127.0.0.1:8080',
});

export default pipeline<PluginContext>(($) =>
  $.handleMessageStart((msg, ctx) => {
    ctx.target = routes.find(msg.head.header('host') ?? '', msg.head.path) ?? '';
  }).branch(
    (ctx) => ctx.target !== '',
    ($) => $.muxHTTP((ctx) => ctx.target).to(($) => $.connect((ctx) => ctx.target)),
    ($) => $.pipeNext(),
  ),
);
