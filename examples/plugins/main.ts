// Pipy tutorial 07: plug-ins. The proxy is a chain of small pipelines, each in its own file;
// a plug-in either answers the request itself or passes it on with pipeNext().
//
//   ban.ts      403 for clients on a deny list
//   router.ts   proxies known paths to their upstream
//   default.ts  404 for the rest
//
// Ports: 8000 the proxy; router.ts sends /hi/* to 127.0.0.1:8080 (run examples/hello.ts).
//
//   npx sluice examples/plugins
//   curl localhost:8000/hi                          ->  Hi, there!
//   curl localhost:8000/other                       ->  404 No handler
//   curl --interface 127.0.0.2 localhost:8000/hi    ->  403 Access denied
//
// Adding a plug-in is adding a file and a line to this list; order is precedence.
import { pipy } from 'sluice';
import { newContext } from './context.ts';
import ban from './ban.ts';
import router from './router.ts';
import fallback from './default.ts';

const plugins = [ban, router, fallback];

pipy.listen(8000, { context: newContext }, ($) => $.demuxHTTP().to(($) => $.pipe(plugins)));
