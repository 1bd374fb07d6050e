// Pipy tutorial 02: an echo server on port 8080. Every request is answered with its own body.
//
//   npx sluice examples/echo.ts
//   curl -d 'hello' http://localhost:8080/     ->  hello
//
// serveHTTP collects each request into a whole Message (head, body, tail) and hands it to the
// handler; whatever Message the handler returns is the response. Content-Length is set from
// the body, so the handler never deals with framing.
import { pipy, Message } from 'sluice';

pipy.listen(8080, ($) => $.serveHTTP((req) => new Message(req.body)));
