/**
 * Seed messages and mutation dictionaries for the SIP and SDP fuzzers: the hostile inputs of issue 11
 * (`m=audio 99999`, `c=IN IP4 999.1.1.1`, tel:/http: Request-URIs, an INVITE without SDP) written as
 * whole messages, next to a plain INVITE they differ from in one place each.
 */

/** An SDP offer of one PCMU/PCMA/telephone-event audio stream; `edit` rewrites its lines. */
export function sdpOffer(edit: { port?: string; address?: string; extra?: readonly string[] } = {}): string {
  return [
    'v=0',
    'o=alice 2890844526 2890844526 IN IP4 192.0.2.10',
    's=-',
    `c=IN IP4 ${edit.address ?? '192.0.2.10'}`,
    't=0 0',
    `m=audio ${edit.port ?? '49170'} RTP/AVP 0 8 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=ptime:20',
    ...(edit.extra ?? []),
    '',
  ].join('\r\n');
}

/** Options of {@link sipInvite}. */
export interface InviteParts {
  readonly uri?: string;
  readonly body?: string;
  readonly branch?: string;
  readonly callId?: string;
  readonly method?: string;
  readonly cseq?: number;
  readonly toTag?: string;
  readonly via?: string;
  /** Contact URI. Default `sip:alice@192.0.2.10:5060`. */
  readonly contact?: string;
  readonly extra?: readonly string[];
}

/** A well-formed request (INVITE by default) with an SDP offer unless `body` says otherwise. */
export function sipInvite(p: InviteParts = {}): string {
  const method = p.method ?? 'INVITE';
  const body = p.body ?? (method === 'INVITE' ? sdpOffer() : '');
  const lines = [
    `${method} ${p.uri ?? 'sip:bob@example.com'} SIP/2.0`,
    p.via ?? `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK${p.branch ?? '776asdhds'};rport`,
    'Max-Forwards: 70',
    `To: Bob <sip:bob@example.com>${p.toTag === undefined ? '' : `;tag=${p.toTag}`}`,
    'From: Alice <sip:alice@example.org>;tag=1928301774',
    `Call-ID: ${p.callId ?? 'a84b4c76e66710@pc33.example.org'}`,
    `CSeq: ${p.cseq ?? 314159} ${method}`,
    `Contact: <${p.contact ?? 'sip:alice@192.0.2.10:5060'}>`,
    ...(p.extra ?? []),
    ...(body === '' ? [] : ['Content-Type: application/sdp']),
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** The hostile messages of issue 11 (items 1 and 8), each a whole request. */
export function hostileSipMessages(): string[] {
  return [
    sipInvite({ body: sdpOffer({ port: '99999' }) }),
    sipInvite({ body: sdpOffer({ address: '999.1.1.1' }) }),
    sipInvite({ body: sdpOffer({ extra: ['a=inactive'] }) }),
    sipInvite({ body: sdpOffer({ address: '0.0.0.0' }) }),
    sipInvite({ uri: 'tel:+14155550100' }),
    sipInvite({ uri: 'http://example.com/x' }),
    sipInvite({ body: '' }),
    sipInvite({ method: 'BYE', toTag: 'abc' }),
    sipInvite({ method: 'CANCEL' }),
    sipInvite({ method: 'ACK', toTag: 'abc' }),
    sipInvite({ method: 'OPTIONS' }),
    sipInvite({ method: 'REGISTER' }),
  ];
}

/** Tokens that matter to a SIP parser, inserted by the mutator. */
export function sipDictionary(): string[] {
  return [
    '\r\n',
    '\n',
    '\r',
    '\r\n\r\n',
    '\r\n ',
    '\t',
    ':',
    ';',
    ',',
    '<',
    '>',
    '"',
    '\\',
    '@',
    '[',
    ']',
    '%00',
    '\u0000',
    'SIP/2.0',
    'SIP/3.0',
    'sip:',
    'sips:',
    'tel:',
    'http:',
    'Via: ',
    'v: SIP/2.0/TCP h;branch=z9hG4bK1',
    'l: ',
    'Content-Length: ',
    'Content-Length: 99999999999',
    'CSeq: 1 INVITE',
    'Call-ID: ',
    'To: <sip:a@b>;tag=x',
    'From: <sip:a@b>',
    'Max-Forwards: 0',
    'Record-Route: <sip:p.example;lr>',
    'Route: <sip:p.example;lr>',
    ';branch=',
    ';tag=',
    ';rport',
    ';received=',
    ';maddr=',
    'z9hG4bK',
    ':65536',
    '[::1]',
    '999.1.1.1',
    'm=audio 99999 RTP/AVP 0',
    'c=IN IP4 999.1.1.1',
    'c=IN IP6 ::1',
    'a=inactive',
    'a=sendonly',
  ];
}
