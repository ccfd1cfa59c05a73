/**
 * The Via header (RFC 3261 §20.42, §18.2.1; rport from RFC 3581 §3): `SIP/2.0/UDP host:port;branch=z9hG4bK…`.
 */
import { fail, ok, type ParseResult } from '../../errors/result.js';
import { findParam, parseHeaderParams, serializeHeaderParams, withParam } from './header-params.js';
import { splitHostPort, type SipParam } from './sip-uri.js';

/** One parsed Via value. */
export interface Via {
  /** Transport in upper case, e.g. `UDP`, `TCP`, `TLS`, `WS`. */
  readonly transport: string;
  readonly host: string;
  readonly port?: number;
  readonly params: readonly SipParam[];
}

/** The RFC 3261 branch magic cookie (§8.1.1.7). */
export const BRANCH_MAGIC_COOKIE = 'z9hG4bK';

/** Parses one Via value (RFC 3261 §20.42). Never throws; `ERR_SIP_BAD_VIA` on error. */
export function parseVia(text: string): ParseResult<Via> {
  const m = /^\s*SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z0-9\-.!%*_+`'~]+)\s+([^;\s]+)\s*(.*)$/i.exec(text);
  if (m === null) {
    return fail({
      code: 'ERR_SIP_BAD_VIA',
      detail: `malformed sent-protocol or sent-by: ${text.slice(0, 60)}`,
    });
  }
  const [, transport = '', sentBy = '', paramText = ''] = m;
  const hp = splitHostPort(sentBy);
  if (hp === undefined) {
    return fail({ code: 'ERR_SIP_BAD_VIA', detail: `malformed sent-by: ${sentBy.slice(0, 60)}` });
  }
  const params = parseHeaderParams(paramText);
  if (params === undefined) {
    return fail({ code: 'ERR_SIP_BAD_VIA', detail: 'malformed Via parameters' });
  }
  const branch = findParam(params, 'branch');
  if (branch === '') {
    return fail({ code: 'ERR_SIP_BAD_VIA', detail: 'empty branch parameter' });
  }
  const rport = findParam(params, 'rport');
  if (rport !== undefined && rport !== '' && !/^\d{1,5}$/.test(rport)) {
    return fail({ code: 'ERR_SIP_BAD_VIA', detail: 'malformed rport parameter' });
  }
  return ok({ transport: transport.toUpperCase(), ...hp, params });
}

/** Serializes a Via value. */
export function serializeVia(via: Via): string {
  const port = via.port === undefined ? '' : `:${via.port}`;
  return `SIP/2.0/${via.transport} ${via.host}${port}${serializeHeaderParams(via.params)}`;
}

/** The branch parameter (RFC 3261 §8.1.1.7), when present. */
export function viaBranch(via: Via): string | undefined {
  return findParam(via.params, 'branch');
}

/** The received parameter (RFC 3261 §18.2.1), when present. */
export function viaReceived(via: Via): string | undefined {
  return findParam(via.params, 'received');
}

/** The rport parameter (RFC 3581 §3): a port number, `true` when requested without value, else undefined. */
export function viaRport(via: Via): number | true | undefined {
  const v = findParam(via.params, 'rport');
  if (v === undefined) {
    return undefined;
  }
  return v === '' ? true : Number(v);
}

/** `host:port` of the sent-by (port 5060 assumed when absent, §18.2.2), used in transaction matching. */
export function viaSentBy(via: Via): string {
  return `${via.host.toLowerCase()}:${via.port ?? 5060}`;
}

/**
 * Stamps `received` (RFC 3261 §18.2.1) and fills `rport` (RFC 3581 §4) from the packet source.
 * `received` is added when the source differs from the sent-by host, or when rport was requested.
 */
export function stampVia(via: Via, sourceAddress: string, sourcePort: number): Via {
  let params = via.params;
  const rport = viaRport(via);
  const bareHost = via.host.replace(/^\[|\]$/g, '');
  if (bareHost !== sourceAddress || rport !== undefined) {
    params = withParam(params, 'received', sourceAddress);
  }
  if (rport === true) {
    params = withParam(params, 'rport', String(sourcePort));
  }
  return { ...via, params };
}
