// Accepting connections whose reads go through the shared read buffer.
//
// net.Server creates accepted sockets itself and offers no `onread` option (net.connect does),
// so every client read would take the Readable path. Instead, the server handle's
// `onconnection` is replaced with one that builds the Socket as net.Server would, plus `onread`.
// It keeps what net.Server's own does that Sluice relies on: maxConnections, the server's
// connection count (server.close() and getConnections()), allowHalfOpen. Where the handle
// does not look as expected (another Node), the server's 'connection' event is used, and the
// socket reads through 'data' as before: slower, the same behaviour.

import net from 'node:net';
import { READ_BUFFER } from './read-buffer.ts';
import { log } from '../engine/log.ts';

type OnRead = (this: net.Socket, n: number, buf: Uint8Array) => boolean;

interface ServerHandle {
  onconnection?: (err: number, clientHandle: ClientHandle | undefined) => void;
}
interface ClientHandle {
  close(): void;
}
interface ServerInternals {
  _handle?: ServerHandle | null;
  _connections: number;
  maxConnections: number;
  allowHalfOpen: boolean;
}
interface SocketInternals {
  server: net.Server | null;
  _server: net.Server | null;
}

/**
 * Calls `accepted(socket, viaOnread)` for every connection of a listening `server`. With
 * `viaOnread` true the socket's bytes arrive through `onRead` (copy them out of READ_BUFFER),
 * never as 'data' events; 'end', 'error' and 'close' are emitted as usual.
 */
export function acceptConnections(server: net.Server, onRead: OnRead, accepted: (socket: net.Socket, viaOnread: boolean) => void): void {
  const internals = server as unknown as ServerInternals;
  const handle = internals._handle;
  if (!handle || typeof handle.onconnection !== 'function' || !('_connections' in internals)) {
    server.on('connection', (socket: net.Socket) => accepted(socket, false));
    return;
  }
  const onread = { buffer: READ_BUFFER, callback: onRead };
  handle.onconnection = (err, clientHandle) => {
    if (err || !clientHandle) {
      log.warn(`accept failed: ${err ? `errno ${err}` : 'no handle'}`);
      return;
    }
    if (internals.maxConnections && internals._connections >= internals.maxConnections) {
      clientHandle.close();
      return;
    }
    const socket = new net.Socket({
      handle: clientHandle,
      allowHalfOpen: internals.allowHalfOpen,
      readable: true,
      writable: true,
      onread,
    } as net.SocketConstructorOpts);
    internals._connections++;
    (socket as unknown as SocketInternals).server = server;
    (socket as unknown as SocketInternals)._server = server;
    accepted(socket, true);
  };
}
