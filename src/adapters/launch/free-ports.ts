/**
 * Free loopback ports for the pieces of a local cluster: a port is taken by binding it (port 0 lets the
 * kernel choose) and released at once, so the process started next can bind it.
 */
import dgram from 'node:dgram';
import { createServer } from 'node:net';

import { ServerError } from '../../errors/server-error.js';

function tryTcp(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => {
      resolve(undefined);
    });
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => {
        resolve(bound);
      });
    });
  });
}

function tryUdp(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.bind(port, host, () => {
      const bound = socket.address().port;
      socket.close(() => {
        resolve(bound);
      });
    });
  });
}

/** True when `port` is free on `host` for the given protocols. */
export async function portIsFree(
  host: string,
  port: number,
  kinds: readonly ('tcp' | 'udp')[],
): Promise<boolean> {
  for (const kind of kinds) {
    const bound = kind === 'tcp' ? await tryTcp(host, port) : await tryUdp(host, port);
    if (bound === undefined) {
      return false;
    }
  }
  return true;
}

/**
 * A port free on `host` for every protocol in `kinds` (the kernel picks it from the ephemeral range).
 * @throws ServerError `ERR_LAUNCH_NO_PORTS` after 50 tries.
 */
export async function freePort(host: string, kinds: readonly ('tcp' | 'udp')[] = ['tcp']): Promise<number> {
  const [first, ...rest] = kinds;
  for (let i = 0; i < 50; i++) {
    const port = first === 'udp' ? await tryUdp(host, 0) : await tryTcp(host, 0);
    if (port !== undefined && (await portIsFree(host, port, rest))) {
      return port;
    }
  }
  throw new ServerError('ERR_LAUNCH_NO_PORTS', `no free ${kinds.join('+')} port on ${host}`);
}

/**
 * The first block of `size` consecutive UDP ports at or above `from` (and below 65536) that are all
 * free on `host`, skipping any in `taken`: a node's RTP range.
 * @throws ServerError `ERR_LAUNCH_NO_PORTS` when none is found.
 */
export async function freeUdpBlock(
  host: string,
  from: number,
  size: number,
  taken: ReadonlySet<number> = new Set(),
): Promise<number> {
  let start = from + (from % 2);
  while (start + size <= 65536) {
    let clash = -1;
    for (let port = start; port < start + size; port++) {
      if (taken.has(port) || (await tryUdp(host, port)) === undefined) {
        clash = port;
        break;
      }
    }
    if (clash < 0) {
      return start;
    }
    start = clash + 1 + ((clash + 1) % 2);
  }
  throw new ServerError(
    'ERR_LAUNCH_NO_PORTS',
    `no ${size} free consecutive UDP ports on ${host} from ${from}`,
  );
}
