// Path rewriting: a proxy on port 8000 in front of 127.0.0.1:8080 that serves the upstream's
// root under /api. `/api/users?id=1` reaches the upstream as `/users?id=1`, `/api` as `/`;
// other paths pass unchanged.
//
// Ports: 8000 the proxy; the upstream is 127.0.0.1:8080 (run examples/echo.ts or any server).
//
//   npx sluice examples/path-rewrite.ts
//   curl localhost:8000/api/hello      (the upstream sees GET /hello)
import { pipy } from 'sluice';

const PREFIX = '/api';

pipy.listen(8000, ($) =>
  $.demuxHTTP().to(($) =>
    // The head of a decoded request is mutable until it leaves: change `path` here and the
    // request is encoded upstream with the new request line. Headers are untouched.
    $.handleMessageStart((msg) => {
      const path = msg.head.path;
      // Only '/api' itself or '/api' followed by '/' or '?': '/apiary' is not under /api.
      if (path.startsWith(PREFIX)) {
        const rest = path.slice(PREFIX.length);
        if (rest === '') msg.head.path = '/';
        else if (rest[0] === '/') msg.head.path = rest;
        else if (rest[0] === '?') msg.head.path = '/' + rest;
      }
    })
      .muxHTTP()
      .to(($) => $.connect('127.0.0.1:8080')),
  ),
);
