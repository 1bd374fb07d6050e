// An ExtensionRef module: `request` runs where the filter is listed; returning a Message
// answers the request, returning nothing lets it go on. `response` edits the response.
import { Message, type RequestHead, type ResponseHead } from 'sluice';

export function request(req: Message<RequestHead>): Message | void {
  if (req.head.header('content-type') !== 'application/json') {
    return new Message({ status: 415, headers: { 'content-type': 'text/plain' } }, 'orders must be JSON\n');
  }
  req.head.headers['x-order-checked'] = 'yes';
}

export function response(res: Message<ResponseHead>): void {
  res.head.headers['x-order-module'] = 'order-check';
}
