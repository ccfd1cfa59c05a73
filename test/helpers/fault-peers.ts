/**
 * Misbehaving WebSocket "apps" for fault tests, on loopback: a port nobody listens on, a TCP server
 * that never answers the upgrade, and a WebSocket server that completes the handshake and
 * then never reads again (a slow consumer, D11).
 */
import net, { type AddressInfo, type Server, type Socket, createServer } from 'node:net';

import { type WebSocket, WebSocketServer } from 'ws';

function listen(server: {
  listen: Server['listen'];
  once: Server['once'];
  off: Server['off'];
}): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** A ws:// URL on a loopback port that was just free (bound, then closed): connecting is refused. */
export async function closedPortUrl(path = '/refused'): Promise<string> {
  const server = createServer();
  await listen(server);
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  return `ws://127.0.0.1:${port}${path}`;
}

/** A TCP server that misbehaves at the WebSocket upgrade. */
export interface FaultyServer {
  readonly url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/** A TCP server that accepts each connection and never answers (the upgrade times out). */
export async function startSilentServer(path = '/silent'): Promise<FaultyServer> {
  const sockets: Socket[] = [];
  const server = createServer((socket: Socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
  });
  await listen(server);
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}${path}`,
    get connections() {
      return sockets.length;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) {
          socket.destroy();
        }
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A WebSocket server whose connections stop reading right after the handshake. */
export interface StalledServer {
  readonly url: string;
  /** Connections accepted. */
  readonly connections: number;
  /** The server side of each connection (paused). */
  readonly sockets: readonly Socket[];
  /** Called with each connection once the handshake completed and the socket was paused. */
  onConnection?: (socket: Socket) => void;
  close(): Promise<void>;
}

export async function startStalledServer(path = '/stalled'): Promise<StalledServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  const sockets: Socket[] = [];
  const clients: WebSocket[] = [];
  wss.on('connection', (ws) => {
    clients.push(ws);
    ws.on('error', () => undefined);
    // ws keeps its net.Socket private; pausing it stops reading, so the kernel buffers fill and then
    // the client's user-space send buffer grows.
    const socket = (ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    sockets.push(socket);
    stalled.onConnection?.(socket);
  });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const { port } = wss.address() as AddressInfo;
  const stalled: StalledServer = {
    url: `ws://127.0.0.1:${port}${path}`,
    get connections() {
      return clients.length;
    },
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of clients) {
          ws.terminate();
        }
        wss.close(() => {
          resolve();
        });
      }),
  };
  return stalled;
}

/**
 * Captures the client sockets this process opens to `port` (the engine's WebSocket client connects
 * with `net.connect`, looked up at call time). Used to model a kernel whose socket buffers are already
 * full: corking the client socket keeps every later write in user space, exactly where data piles up
 * once the kernel's send and receive buffers (about 4 MB on Linux loopback) have filled. Call
 * `restore()` when done.
 */
export function captureClientSockets(port: number): { readonly sockets: Socket[]; restore(): void } {
  const original = net.connect;
  const sockets: Socket[] = [];
  const patched = (...args: unknown[]): Socket => {
    const socket = (original as (...a: unknown[]) => Socket)(...args);
    const first = args[0];
    if (typeof first === 'object' && first !== null && Number((first as { port?: unknown }).port) === port) {
      sockets.push(socket);
    }
    return socket;
  };
  net.connect = patched;
  return {
    sockets,
    restore: () => {
      net.connect = original;
    },
  };
}
