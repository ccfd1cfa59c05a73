/**
 * SIP over UDP and TCP on one host:port with node:dgram and node:net (RFC 3261 §18), and over TLS on its
 * own port with node:tls (RFC 3261 §26, framed exactly like TCP). Parsing and framing
 * are the sans-I/O core's (`parseSipMessage`, `frameSipStream`); this adapter only owns sockets, buffers
 * and timeouts. Malformed input is counted and reported, answered when a response can be routed
 * (`replyToMalformed`), and never throws or closes the UDP socket.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';

import type { ParseFailure } from '../../errors/result.js';
import { frameSipStream } from '../../protocol/sip/frame-sip-stream.js';
import { parseSipMessage } from '../../protocol/sip/parse-sip-message.js';
import { replyToMalformed } from '../../protocol/sip/reply-to-malformed.js';
import { serializeSipMessage } from '../../protocol/sip/serialize-sip-message.js';
import type { SipEndpoint, SipMessage } from '../../protocol/sip/sip-message.types.js';
import type {
  FlowKeepAliveResult,
  SipInbound,
  SipListenAddress,
  SipMalformed,
  SipTransport,
  SipTransportStats,
} from '../../ports/sip-transport.js';

/** Options of {@link NodeSipTransport}. */
export interface NodeSipTransportOptions {
  /** Address to bind (loopback in tests). */
  readonly host: string;
  /** Port for both UDP and TCP; 0 picks a free one. */
  readonly port: number;
  /** Enable the TCP listener. Default true. */
  readonly tcp?: boolean;
  /** Largest SIP message in bytes. Default 65536. */
  readonly maxMessageBytes?: number;
  /** Most unframed bytes buffered per TCP connection before it is closed. Default 131072. */
  readonly maxBufferedBytes?: number;
  /** Idle TCP connections close after this long. Default 120000 ms. */
  readonly idleTimeoutMs?: number;
  /** Outbound TCP connect timeout. Default 5000 ms. */
  readonly connectTimeoutMs?: number;
  /** Answer malformed requests with 400/413/505/513 when routable. Default true. */
  readonly answerMalformed?: boolean;
  /**
   * Requested receive buffer of the UDP socket, in bytes. Default 4 MiB (the kernel caps it at
   * `net.core.rmem_max`). The kernel default (~208 KB) holds only ~100 small datagrams once their
   * overhead is counted, so a burst of BYEs at the end of a load spike was dropped (measured: 34 of
   * 200 calls kept streaming after their BYE).
   */
  readonly recvBufferBytes?: number;
  /** SIP over TLS (config `sip.tls`): a listener on its own port and outbound TLS connections. */
  readonly tls?: SipTlsMaterial;
  /** Called when a TLS handshake fails (certificate, protocol), outbound (the send rejects as well) or inbound. */
  readonly onTlsError?: (peer: SipEndpoint, reason: string) => void;
}

/** The certificate, key and trust of SIP over TLS (PEM bytes, read from `sip.tls`'s files at start). */
export interface SipTlsMaterial {
  /** Port of the TLS listener; 0 picks a free one. */
  readonly port: number;
  readonly cert: Uint8Array;
  readonly key: Uint8Array;
  /** Trusted CAs; undefined: Node's bundled roots. */
  readonly ca?: Uint8Array;
  /**
   * Verify the peer's certificate: a server's always when true (chain to `ca`, name = the target host);
   * a client connecting to us must then present one too (mutual TLS). False accepts any certificate.
   */
  readonly verifyPeer: boolean;
}

interface Connection {
  readonly socket: net.Socket;
  readonly peer: SipEndpoint;
  buffer: Uint8Array;
  /** Keep-alives waiting for the peer's pong (any bytes on the connection). */
  pongWaiters: (() => void)[];
}

function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function keyOf(protocol: string, address: string, port: number): string {
  return `${protocol}|${plainAddress(address)}|${port}`;
}

/** The node:dgram + node:net implementation of the {@link SipTransport} port. */
export class NodeSipTransport implements SipTransport {
  private udp: dgram.Socket | undefined;
  private server: net.Server | undefined;
  private tlsServer: tls.Server | undefined;
  private tlsPortBound = 0;
  private readonly connections = new Map<string, Connection>();
  private messageHandler: (inbound: SipInbound) => void = () => undefined;
  private malformedHandler: (malformed: SipMalformed) => void = () => undefined;
  private counters = { received: 0, sent: 0, malformed: 0 };
  private readonly maxMessageBytes: number;

  constructor(private readonly options: NodeSipTransportOptions) {
    this.maxMessageBytes = options.maxMessageBytes ?? 65536;
  }

  onMessage(handler: (inbound: SipInbound) => void): void {
    this.messageHandler = handler;
  }

  onMalformed(handler: (malformed: SipMalformed) => void): void {
    this.malformedHandler = handler;
  }

  stats(): SipTransportStats {
    return { ...this.counters, openConnections: this.connections.size };
  }

  async listen(): Promise<SipListenAddress> {
    const bound = await this.listenPlain();
    if (this.options.tls === undefined) {
      return bound;
    }
    try {
      this.tlsPortBound = await this.listenTls(this.options.tls);
    } catch (err) {
      await this.close();
      throw err;
    }
    return { ...bound, tlsPort: this.tlsPortBound };
  }

  private async listenPlain(): Promise<SipListenAddress> {
    for (let attempt = 0; ; attempt++) {
      const port = await this.bindUdp(this.options.port);
      if (this.options.tcp === false) {
        return { address: this.options.host, port };
      }
      try {
        await this.listenTcp(port);
        return { address: this.options.host, port };
      } catch (err) {
        // With port 0 the UDP port may be taken on TCP; try another pair.
        await this.closeUdp();
        if (this.options.port !== 0 || attempt >= 10) {
          throw err;
        }
      }
    }
  }

  private bindUdp(port: number): Promise<number> {
    const socket = dgram.createSocket(net.isIPv6(this.options.host) ? 'udp6' : 'udp4');
    this.udp = socket;
    socket.on('message', (msg, rinfo) => {
      this.onBytes(new Uint8Array(msg), {
        protocol: 'udp',
        address: plainAddress(rinfo.address),
        port: rinfo.port,
      });
    });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, this.options.host, () => {
        socket.off('error', reject);
        // Errors after binding (e.g. ICMP unreachable on send) must not crash the process.
        socket.on('error', () => undefined);
        try {
          socket.setRecvBufferSize(this.options.recvBufferBytes ?? 4 * 1024 * 1024);
        } catch {
          // The OS refused the size; the default stays (a burst may then lose datagrams, as before).
        }
        resolve(socket.address().port);
      });
    });
  }

  private listenTcp(port: number): Promise<void> {
    const server = net.createServer((socket) => {
      this.adopt(socket);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  private listenTls(material: SipTlsMaterial): Promise<number> {
    const server = tls.createServer(
      {
        cert: Buffer.from(material.cert),
        key: Buffer.from(material.key),
        ...(material.ca === undefined ? {} : { ca: Buffer.from(material.ca) }),
        // Mutual TLS only with a private CA (`caFile`): then a client certificate is asked for and, with
        // verifyPeer, must chain to it. With the public roots, clients (carriers, phones) present none.
        requestCert: material.verifyPeer && material.ca !== undefined,
        rejectUnauthorized: material.verifyPeer && material.ca !== undefined,
      },
      (socket) => {
        this.adopt(socket, 'tls');
      },
    );
    // A failed handshake (no or an untrusted client certificate…) is reported; the listener stays up.
    server.on('tlsClientError', (err, socket) => {
      this.options.onTlsError?.(
        { protocol: 'tls', address: plainAddress(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 },
        err.message,
      );
    });
    this.tlsServer = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(material.port, this.options.host, () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : material.port);
      });
    });
  }

  private adopt(socket: net.Socket, protocol: 'tcp' | 'tls' = 'tcp'): Connection {
    const peer: SipEndpoint = {
      protocol,
      address: plainAddress(socket.remoteAddress ?? ''),
      port: socket.remotePort ?? 0,
    };
    const conn: Connection = { socket, peer, buffer: new Uint8Array(0), pongWaiters: [] };
    const key = keyOf(protocol, peer.address, peer.port);
    this.connections.set(key, conn);
    socket.setNoDelay(true);
    socket.setTimeout(this.options.idleTimeoutMs ?? 120000, () => socket.destroy());
    socket.on('data', (chunk) => {
      this.onStreamData(conn, new Uint8Array(chunk));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.connections.get(key) === conn) {
        this.connections.delete(key);
      }
    });
    return conn;
  }

  private onStreamData(conn: Connection, chunk: Uint8Array): void {
    if (conn.pongWaiters.length > 0) {
      for (const answered of conn.pongWaiters.splice(0)) {
        answered();
      }
    }
    const joined = new Uint8Array(conn.buffer.length + chunk.length);
    joined.set(conn.buffer, 0);
    joined.set(chunk, conn.buffer.length);
    const frames = frameSipStream(joined, { maxMessageBytes: this.maxMessageBytes });
    if (frames.pings !== undefined) {
      // RFC 5626 §4.4.1: a CRLF pong keeps the peer's (a registrar's, a NAT's) view of the flow alive.
      conn.socket.write('\r\n');
    }
    for (const bytes of frames.messages) {
      this.onBytes(bytes, conn.peer);
    }
    conn.buffer = new Uint8Array(frames.rest);
    const limit = this.options.maxBufferedBytes ?? 131072;
    const error: ParseFailure | undefined =
      frames.error ??
      (conn.buffer.length > limit
        ? { code: 'ERR_SIP_MESSAGE_TOO_LARGE', detail: `more than ${limit} bytes buffered` }
        : undefined);
    if (error !== undefined) {
      // A stream that cannot be framed cannot be resynchronised: answer if possible, then close (§18.3).
      this.reportMalformed(conn.buffer.slice(0, 16384), conn.peer, error, true);
      conn.buffer = new Uint8Array(0);
      conn.socket.end();
    }
  }

  private onBytes(bytes: Uint8Array, source: SipEndpoint): void {
    const parsed = parseSipMessage(bytes, { maxMessageBytes: this.maxMessageBytes });
    if (!parsed.ok) {
      this.reportMalformed(bytes, source, parsed.error, false);
      return;
    }
    this.counters.received++;
    try {
      this.messageHandler({ message: parsed.value, bytes, source });
    } catch {
      // A throwing handler must not take the socket down; the handler owns its error reporting.
    }
  }

  private reportMalformed(
    bytes: Uint8Array,
    source: SipEndpoint,
    error: ParseFailure,
    closing: boolean,
  ): void {
    this.counters.malformed++;
    const reply = this.options.answerMalformed === false ? undefined : replyToMalformed(bytes, error);
    if (reply?.action === 'respond') {
      this.send(reply.response, source).catch(() => undefined);
    }
    const action = closing ? 'closed-connection' : reply?.action === 'respond' ? 'answered' : 'dropped';
    try {
      this.malformedHandler({
        bytes,
        source,
        error,
        action,
        ...(reply?.action === 'respond' ? { status: reply.status } : {}),
      });
    } catch {
      // Same isolation as for the message handler.
    }
  }

  /** RFC 5626 §4.4.1 client side: a double-CRLF ping, the pong awaited for `pongTimeoutMs`. */
  keepAlive(destination: SipEndpoint, pongTimeoutMs: number): Promise<FlowKeepAliveResult> {
    const conn =
      destination.protocol === 'udp'
        ? undefined
        : this.connections.get(keyOf(destination.protocol, destination.address, destination.port));
    if (conn === undefined || conn.socket.destroyed) {
      return Promise.resolve('no-connection');
    }
    return new Promise((resolve) => {
      const answered = (): void => {
        clearTimeout(timer);
        resolve('pong');
      };
      const timer = setTimeout(() => {
        conn.pongWaiters = conn.pongWaiters.filter((w) => w !== answered);
        // The flow failed (§4.4.1): close it, so the next request opens a fresh connection.
        conn.socket.destroy();
        resolve('no-pong');
      }, pongTimeoutMs);
      conn.pongWaiters.push(answered);
      conn.socket.write('\r\n\r\n');
    });
  }

  async send(message: SipMessage, destination: SipEndpoint): Promise<void> {
    const bytes = serializeSipMessage(message);
    if (destination.protocol === 'udp') {
      const udp = this.udp;
      if (udp === undefined) {
        throw new Error('transport is not listening');
      }
      await new Promise<void>((resolve, reject) => {
        udp.send(bytes, destination.port, destination.address, (err) => {
          if (err) {
            reject(err);
          } else {
            resolve();
          }
        });
      });
    } else {
      const conn =
        this.connections.get(keyOf(destination.protocol, destination.address, destination.port)) ??
        (await (destination.protocol === 'tls' ? this.connectTls(destination) : this.connect(destination)));
      await new Promise<void>((resolve, reject) => {
        conn.socket.write(bytes, (err) => {
          if (err) {
            reject(err);
          } else {
            resolve();
          }
        });
      });
    }
    this.counters.sent++;
  }

  private connect(destination: SipEndpoint): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: destination.address, port: destination.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${destination.address}:${destination.port} timed out`));
      }, this.options.connectTimeoutMs ?? 5000);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(this.adopt(socket));
      });
    });
  }

  /**
   * Opens a TLS connection (RFC 3261 §26.2.2 for `sips:`, RFC 5630 §3): SNI is the target host
   * (`serverName`, else `address`) when it is a name (RFC 6066 forbids IP literals there), and with
   * `verifyPeer` the server's certificate must chain to `ca` and name that host (a DNS name or an IP
   * address in subjectAltName).
   */
  private connectTls(destination: SipEndpoint): Promise<Connection> {
    const material = this.options.tls;
    if (material === undefined) {
      return Promise.reject(new Error('SIP over TLS is not configured (sip.tls)'));
    }
    return new Promise((resolve, reject) => {
      const host = destination.address;
      const name = destination.serverName ?? host;
      const socket = tls.connect({
        host,
        port: destination.port,
        // The certificate is checked against `servername` when given, else against `host`.
        ...(net.isIP(name) === 0 ? { servername: name } : {}),
        cert: Buffer.from(material.cert),
        key: Buffer.from(material.key),
        ...(material.ca === undefined ? {} : { ca: Buffer.from(material.ca) }),
        rejectUnauthorized: material.verifyPeer,
      });
      const fail = (reason: string): void => {
        clearTimeout(timer);
        socket.destroy();
        this.options.onTlsError?.(destination, reason);
        reject(new Error(`TLS to ${host}:${destination.port}: ${reason}`));
      };
      const timer = setTimeout(() => {
        fail('connect timed out');
      }, this.options.connectTimeoutMs ?? 5000);
      socket.once('error', (err: Error) => {
        fail(err.message);
      });
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        resolve(this.adopt(socket, 'tls'));
      });
    });
  }

  private closeUdp(): Promise<void> {
    const udp = this.udp;
    this.udp = undefined;
    return new Promise((resolve) => {
      if (udp === undefined) {
        resolve();
        return;
      }
      udp.close(() => {
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    for (const conn of this.connections.values()) {
      conn.socket.destroy();
    }
    this.connections.clear();
    await this.closeUdp();
    for (const server of [this.server, this.tlsServer]) {
      if (server !== undefined) {
        await new Promise<void>((resolve) =>
          server.close(() => {
            resolve();
          }),
        );
      }
    }
    this.server = undefined;
    this.tlsServer = undefined;
  }
}
