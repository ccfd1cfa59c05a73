/**
 * A minimal HTTP CONNECT proxy on loopback that tunnels every `CONNECT api.plivo.com:443` to our TLS
 * listener (dependencies.md §6a): the plivo SDK's base URL is hard-coded, but its `proxy` option is
 * public, so this is how the real client reaches a local server. Any other authority is refused, so a
 * request the SDK sends elsewhere shows up as a failure, not as a silent success.
 */
import { type Server, createServer } from 'node:http';
import { type AddressInfo, type Socket, connect } from 'node:net';

export interface ConnectProxy {
  readonly url: string;
  /** The authority of every CONNECT request, in order (e.g. `api.plivo.com:443`). */
  readonly tunnels: readonly string[];
  close(): Promise<void>;
}

export async function startConnectProxy(
  targetPort: number,
  allowed = 'api.plivo.com:443',
): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  const server: Server = createServer((_req, res) => {
    res.writeHead(405, { connection: 'close' }).end('CONNECT only\n');
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    track(client);
    const authority = req.url ?? '';
    tunnels.push(authority);
    if (authority !== allowed) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    track(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) {
          s.destroy();
        }
        server.close(() => {
          resolve();
        });
      }),
  };
}
