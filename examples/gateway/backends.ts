// Echo backends for the gateway example: 127.0.0.1:9001, :9002 and :9003 (the mirror), each
// answering with its name and the request it saw. Run: sluice examples/gateway/backends.ts --admin-port=-1
import { pipy, Message, type RequestHead } from 'sluice';

for (const [name, port] of [['one', 9001], ['two', 9002], ['shadow', 9003]] as const) {
  pipy.listen(`127.0.0.1:${port}`, ($) =>
    $.serveHTTP((req: Message<RequestHead>) =>
      req.head.path === '/healthz'
        ? new Message({ status: 200 }, 'ok\n')
        : new Message(
            { status: 200, headers: { 'content-type': 'application/json', 'x-backend': name } },
            JSON.stringify({ backend: name, method: req.head.method, path: req.head.path, headers: req.head.headers }, null, 2) + '\n',
          ),
    ),
  );
}
