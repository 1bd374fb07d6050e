// Pipy tutorial 01: every request on port 8080 gets "Hi, there!".
//
//   npx sluice examples/hello.ts
//   curl localhost:8080/            ->  Hi, there!
//
// serveHTTP decodes HTTP/1.1 requests from the connection (keep-alive and pipelining
// included) and answers each with the same Message, framed with its Content-Length.
import { pipy, Message } from 'sluice';

pipy.listen(8080, ($) => $.serveHTTP(new Message('Hi, there!\n')));
