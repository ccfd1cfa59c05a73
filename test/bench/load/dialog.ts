/**
 * The load generator's UAC dialog rules (RFC 3261 §12.1.2, §12.2.1.1), as pure functions: the route set
 * a 2xx to an INVITE establishes (its Record-Route entries, in reverse order), and where an in-dialog
 * request (ACK for the 2xx, BYE) goes with it. Without a route set (streamfork alone) that is the remote
 * target (the 2xx's Contact); behind a proxy that Record-Routes (Kamailio) it is the first route.
 */

/** Every value of header `name` (lower case; `short` is its compact form), in message order. */
export function headerValues(msg: string, name: string, short?: string): string[] {
  const split = msg.indexOf('\r\n\r\n');
  const head = split < 0 ? msg : msg.slice(0, split);
  const out: string[] = [];
  for (const line of head.split('\r\n').slice(1)) {
    const c = line.indexOf(':');
    if (c <= 0) {
      continue;
    }
    const key = line.slice(0, c).trim().toLowerCase();
    if (key === name || (short !== undefined && key === short)) {
      out.push(line.slice(c + 1).trim());
    }
  }
  return out;
}

/** The name-addr URIs of a header whose values may each hold several comma-separated `<uri>` entries. */
function bracketedUris(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    for (const m of v.matchAll(/<([^>]+)>/g)) {
      out.push(m[1] ?? '');
    }
  }
  return out;
}

/** The UAC's route set from a 2xx to its INVITE: the Record-Route URIs in reverse order. */
export function routeSetOf(response: string): string[] {
  return bracketedUris(headerValues(response, 'record-route')).reverse();
}

/** Host and port of a SIP URI (`sip:user@host:port;params`); port 5060 when absent. */
export function hostPortOf(uri: string): { host: string; port: number } {
  const m = /^sips?:(?:[^@;]*@)?(\[[^\]]+\]|[^:;?>]+)(?::(\d+))?/.exec(uri);
  if (m === null) {
    throw new Error(`not a SIP URI: ${uri}`);
  }
  return { host: m[1] ?? '', port: Number(m[2] ?? 5060) };
}

/** Where an in-dialog request goes: its Request-URI, its Route header values and the next hop. */
export interface InDialogTarget {
  readonly requestUri: string;
  readonly routes: readonly string[];
  readonly next: { readonly host: string; readonly port: number };
}

/**
 * §12.2.1.1: an empty route set sends to the remote target; a first route with `lr` (a loose router,
 * Kamailio's record_route) keeps the remote target as Request-URI and sends to that route; a strict
 * router takes the Request-URI and the remote target goes last in Route.
 */
export function inDialogTarget(routeSet: readonly string[], remoteTarget: string): InDialogTarget {
  const [first, ...rest] = routeSet;
  if (first === undefined) {
    return { requestUri: remoteTarget, routes: [], next: hostPortOf(remoteTarget) };
  }
  if (/;lr(?=[;=]|$)/i.test(first)) {
    return { requestUri: remoteTarget, routes: [...routeSet], next: hostPortOf(first) };
  }
  const requestUri = first.replace(/;(method|maddr|ttl|transport|lr)(=[^;]*)?/gi, '');
  return { requestUri, routes: [...rest, remoteTarget], next: hostPortOf(requestUri) };
}

/** Where a response goes (§18.2.2 over UDP): the top Via's `received`/`rport` if set, else its sent-by. */
export function responseTarget(topVia: string): { host: string; port: number } {
  const m = /^SIP\/2\.0\/UDP\s+([^;:\s]+)(?::(\d+))?/i.exec(topVia);
  if (m === null) {
    throw new Error(`not a UDP Via: ${topVia}`);
  }
  const received = /;received=([^;\s]+)/i.exec(topVia)?.[1];
  const rport = /;rport=(\d+)/i.exec(topVia)?.[1];
  return { host: received ?? m[1] ?? '', port: Number(rport ?? m[2] ?? 5060) };
}
