/**
 * A listening socket that could not be opened at start (port in use, no permission, an address this
 * host does not have), as one `ServerError` whose message names the address, the transport and the
 * setting to change, so `streamfork serve` can print one line instead of a stack trace.
 */
import { ServerError } from './errors/server-error.js';

/** Which listener failed and the config key (and CLI flag) that sets its port. */
export interface ListenTarget {
  readonly host: string;
  readonly port: number;
  /** e.g. `UDP`, `TCP`, `HTTP`. */
  readonly transport: string;
  /** e.g. `sip.port (--sip-port, STREAMFORK_SIP_PORT)`. */
  readonly setting: string;
}

const reasons: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'the address is not one of this host',
};

function field(err: unknown, name: string): unknown {
  return typeof err === 'object' && err !== null ? (err as Record<string, unknown>)[name] : undefined;
}

/** The ServerError `ERR_LISTEN_FAILED` for `err`, naming the target; `err` is kept as the cause. */
export function listenError(target: ListenTarget, err: unknown): ServerError {
  const code = field(err, 'code');
  const codeText = typeof code === 'string' ? code : 'UNKNOWN';
  const syscall = field(err, 'syscall');
  // node:net reports TCP failures with syscall 'listen', node:dgram UDP ones with 'bind'.
  const transport =
    target.transport === 'UDP+TCP' ? (syscall === 'listen' ? 'TCP' : 'UDP') : target.transport;
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const reason = reasons[codeText] ?? (err instanceof Error ? err.message : String(err));
  return new ServerError(
    'ERR_LISTEN_FAILED',
    `cannot listen on ${host}:${target.port} (${transport}, ${target.setting}): ${reason} (${codeText})`,
    { cause: err },
  );
}
