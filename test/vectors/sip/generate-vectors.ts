// Writes the synthetic SIP vectors in good/ and bad/ with their .json sidecars. Run once with
// `node --import tsx test/vectors/sip/generate-vectors.ts`; the committed files are the source of truth.
// Written for streamfork in the spirit of RFC 4475 (SIP torture tests); not copied from it.
// The captured vectors good/sipp-uac-invite.sip (sipp 3.6.1 -sn uac) and good/baresip-invite.sip
// (baresip 1.0.0 /dial) are not generated here.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = new URL('.', import.meta.url).pathname;

interface Sidecar {
  description: string;
  source: string;
  expect: Record<string, unknown>;
}

function crlf(lines: readonly string[], body = ''): string {
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

const via = 'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds';
const base = [
  via,
  'Max-Forwards: 70',
  'To: Bob <sip:bob@example.com>',
  'From: Alice <sip:alice@example.org>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.example.org',
];
const sdp = ['v=0', 'o=alice 2890844526 2890844526 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', 'm=audio 49170 RTP/AVP 0 8 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20', ''].join('\r\n');

function invite(extra: readonly string[] = [], body = '', method = 'INVITE', headers = base): string {
  const cl = body === '' ? [] : ['Content-Type: application/sdp'];
  return crlf([`${method} sip:bob@example.com SIP/2.0`, ...headers, `CSeq: 314159 ${method}`, ...extra, ...cl, `Content-Length: ${Buffer.byteLength(body)}`], body);
}

function without(name: string): string[] {
  return base.filter((h) => !h.toLowerCase().startsWith(`${name.toLowerCase()}:`));
}

function write(folder: 'good' | 'bad', name: string, bytes: string | Uint8Array, sidecar: Sidecar): void {
  writeFileSync(join(dir, folder, `${name}.sip`), typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
  writeFileSync(join(dir, folder, `${name}.json`), `${JSON.stringify(sidecar, null, 2)}\n`);
}

function good(name: string, description: string, source: string, bytes: string, expect: Record<string, unknown>): void {
  write('good', name, bytes, { description, source, expect: { parse: 'ok', ...expect } });
}

function bad(name: string, description: string, source: string, bytes: string | Uint8Array, parse: string, answer: number | 'drop', extra: Record<string, unknown> = {}): void {
  write('bad', name, bytes, { description, source, expect: { parse, answer, ...extra } });
}

// ---- good ----
good('invite-basic', 'Plain INVITE with an SDP offer', 'RFC 3261 §24.2 (F1 style)', invite([], sdp), { method: 'INVITE', callId: 'a84b4c76e66710@pc33.example.org', cseq: 314159, branch: 'z9hG4bK776asdhds', fromTag: '1928301774', bodyLength: Buffer.byteLength(sdp) });
good('compact-forms', 'Every header in compact form (v f t i m l c k s)', 'RFC 3261 §7.3.3; RFC 4475 §3.1.1.1 spirit',
  crlf(['INVITE sip:bob@example.com SIP/2.0', 'v: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKcompact', 'f: <sip:alice@example.org>;tag=c1', 't: sip:bob@example.com', 'i: compact-1@example.org', 'CSeq: 1 INVITE', 'm: <sip:alice@192.0.2.10>', 'k: timer', 's: compact', 'c: application/sdp', `l: ${Buffer.byteLength(sdp)}`], sdp),
  { method: 'INVITE', callId: 'compact-1@example.org', cseq: 1, branch: 'z9hG4bKcompact', fromTag: 'c1', bodyLength: Buffer.byteLength(sdp) });
good('folding-whitespace', 'Folded header lines, tabs and spaces around colons', 'RFC 3261 §7.3.1; RFC 4475 §3.1.1.1 (wsinv) spirit',
  crlf(['OPTIONS sip:bob@example.com SIP/2.0', 'Via  :  SIP/2.0/UDP 192.0.2.10:5060', '  ;branch=z9hG4bKfold', 'Max-Forwards:\t70', 'To:', '\tBob', '\t<sip:bob@example.com>', 'From: Alice <sip:alice@example.org>', ' ;tag=fold1', 'Call-ID: fold@example.org', 'CSeq:  7\t OPTIONS', 'Subject: a', ' long', '\tsubject', 'Content-Length: 0']),
  { method: 'OPTIONS', callId: 'fold@example.org', cseq: 7, branch: 'z9hG4bKfold', fromTag: 'fold1', header: { Subject: 'a long subject' } });
good('mixed-case-names', 'Header names in any case', 'RFC 3261 §7.3.1',
  crlf(['OPTIONS sip:bob@example.com SIP/2.0', 'vIA: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKcase', 'mAX-fORWARDS: 70', 'TO: <sip:bob@example.com>', 'fRoM: <sip:alice@example.org>;TAG=up', 'CALL-ID: case@x', 'cseq: 2 OPTIONS', 'content-LENGTH: 0']),
  { method: 'OPTIONS', callId: 'case@x', cseq: 2, branch: 'z9hG4bKcase', fromTag: 'up' });
good('multiple-via', 'Via values comma-joined and repeated, order preserved', 'RFC 3261 §7.3.1, §20.42',
  crlf(['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa, SIP/2.0/TCP 192.0.2.2:5070;branch=z9hG4bKb', 'Via: SIP/2.0/UDP [2001:db8::9]:5080;branch=z9hG4bKc;received=2001:db8::9;rport=5080', 'To: <sip:bob@example.com>;tag=t1', 'From: <sip:alice@example.org>;tag=f1', 'Call-ID: vias@x', 'CSeq: 3 INVITE', 'Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>', 'Record-Route: <sip:p3.example.com;lr>', 'Content-Length: 0']),
  { status: 200, callId: 'vias@x', cseq: 3, branch: 'z9hG4bKa', viaCount: 3, recordRouteCount: 3 });
good('unknown-method', 'An unknown method is a parseable request (a UAS answers 501)', 'RFC 3261 §8.2.1; RFC 4475 §3.1.1.6 spirit',
  invite([], '', 'NEWMETHOD'), { method: 'NEWMETHOD', cseq: 314159 });
good('ipv6-uris', 'IPv6 references in Request-URI, Via and Contact', 'RFC 5118 §4.1 spirit',
  crlf(['REGISTER sip:[2001:db8::10] SIP/2.0', 'Via: SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bKv6;rport', 'Max-Forwards: 70', 'To: <sip:user@[2001:db8::10]>', 'From: <sip:user@[2001:db8::10]>;tag=v6', 'Call-ID: v6@[2001:db8::9]', 'CSeq: 1 REGISTER', 'Contact: <sip:user@[2001:db8::9]:5060;transport=udp>', 'Expires: 3600', 'Content-Length: 0']),
  { method: 'REGISTER', cseq: 1, branch: 'z9hG4bKv6', fromTag: 'v6' });
good('escaped-user', 'Escaped characters and ;? in the user part, URI headers', 'RFC 3261 §19.1.2; RFC 4475 §3.1.1.2 spirit',
  crlf(['INVITE sip:sips%3Auser%40example.com@example.net;user=phone?Subject=hi SIP/2.0', via, 'Max-Forwards: 70', 'To: <sip:%61lice@example.net>', 'From: "J. \\"Quote\\", Jr." <sip:j@example.org>;tag=esc', 'Call-ID: esc@x', 'CSeq: 9 INVITE', 'Content-Length: 0']),
  { method: 'INVITE', cseq: 9, fromTag: 'esc', fromDisplay: 'J. "Quote", Jr.' });
good('body-longer-than-content-length', 'Extra bytes beyond Content-Length are discarded', 'RFC 3261 §18.3',
  crlf(['MESSAGE sip:bob@example.com SIP/2.0', ...base, 'CSeq: 5 MESSAGE', 'Content-Type: text/plain', 'Content-Length: 5'], 'hello and more'), { method: 'MESSAGE', bodyText: 'hello' });
good('no-content-length-udp', 'Without Content-Length a datagram body runs to the end', 'RFC 3261 §18.3',
  crlf(['MESSAGE sip:bob@example.com SIP/2.0', ...base, 'CSeq: 5 MESSAGE', 'Content-Type: text/plain'], 'whole body'), { method: 'MESSAGE', bodyText: 'whole body' });
good('leading-crlf', 'CRLFs before the start line are ignored', 'RFC 3261 §7.5',
  `\r\n\r\n${invite([], '', 'OPTIONS')}`, { method: 'OPTIONS' });
good('tel-request-uri', 'A non-SIP absolute Request-URI parses (the TU decides on 416)', 'RFC 3261 §19.1.6; RFC 3966',
  crlf(['INVITE tel:+14155550100 SIP/2.0', ...base, 'CSeq: 1 INVITE', 'Content-Length: 0']), { method: 'INVITE' });
good('register-star', 'REGISTER with Contact: * and Expires 0', 'RFC 3261 §10.2.2',
  crlf(['REGISTER sip:example.com SIP/2.0', ...base, 'CSeq: 2 REGISTER', 'Contact: *', 'Expires: 0', 'Content-Length: 0']), { method: 'REGISTER' });
good('response-odd-reason', 'Status-Line with an empty and a UTF-8 reason phrase', 'RFC 3261 §7.2; RFC 4475 §3.1.1.9 spirit',
  crlf(['SIP/2.0 486 Occupé ☎', ...base, 'CSeq: 3 INVITE', 'Content-Length: 0']), { status: 486 });
good('authorization-commas', 'Authorization with commas inside one header line', 'RFC 3261 §22.4',
  crlf(['REGISTER sip:example.com SIP/2.0', ...base, 'CSeq: 3 REGISTER', 'Authorization: Digest username="alice", realm="example.com", nonce="abc", uri="sip:example.com", response="0123456789abcdef0123456789abcdef"', 'Content-Length: 0']), { method: 'REGISTER' });
good('empty-header-value', 'A header with an empty value (as baresip sends Supported:)', 'RFC 3261 §25.1 (extension-header value may be empty)',
  invite(['Supported:', 'X-Empty:'], '', 'OPTIONS'), { method: 'OPTIONS' });
good('large-body', 'A 30 KB body within the 64 KB limit', 'RFC 3261 §18.1.1 (size handling)',
  crlf(['MESSAGE sip:bob@example.com SIP/2.0', ...base, 'CSeq: 5 MESSAGE', 'Content-Type: text/plain', 'Content-Length: 30000'], 'x'.repeat(30000)), { method: 'MESSAGE', bodyLength: 30000 });
good('lf-only', 'Bare LF line ends are tolerated', 'RFC 3261 §7 (robustness, be liberal)',
  invite([], '', 'OPTIONS').replace(/\r\n/g, '\n'), { method: 'OPTIONS' });

// ---- bad ----
bad('empty', 'Zero bytes', 'RFC 3261 §7', '', 'ERR_SIP_EMPTY_MESSAGE', 'drop');
bad('only-crlf', 'Only keep-alive CRLFs', 'RFC 3261 §7.5; RFC 5626 §3.5.1', '\r\n\r\n\r\n', 'ERR_SIP_EMPTY_MESSAGE', 'drop');
bad('truncated-headers', 'Datagram cut in the header section', 'RFC 3261 §7', invite([], sdp).slice(0, 200), 'ERR_SIP_HEADERS_INCOMPLETE', 400);
bad('truncated-body', 'Body shorter than Content-Length', 'RFC 3261 §18.3; RFC 4475 §3.1.2.5 spirit', invite([], sdp).slice(0, -40), 'ERR_SIP_BODY_TRUNCATED', 400);
bad('content-length-text', 'Content-Length is not a number', 'RFC 3261 §20.14', invite().replace('Content-Length: 0', 'Content-Length: zero'), 'ERR_SIP_BAD_CONTENT_LENGTH', 400);
bad('content-length-negative', 'Negative Content-Length', 'RFC 3261 §20.14; RFC 4475 §3.1.2.6 spirit', invite().replace('Content-Length: 0', 'Content-Length: -999'), 'ERR_SIP_BAD_CONTENT_LENGTH', 400);
bad('content-length-conflict', 'Two different Content-Length values', 'RFC 3261 §20.14', invite(['l: 12']), 'ERR_SIP_BAD_CONTENT_LENGTH', 400);
bad('content-length-huge', 'Content-Length far beyond the datagram', 'RFC 3261 §18.3; RFC 4475 §3.1.2.2 spirit', invite().replace('Content-Length: 0', 'Content-Length: 9999999999'), 'ERR_SIP_BODY_TOO_LARGE', 413);
bad('huge-message', 'A 70 KB message over the 64 KB limit', 'RFC 3261 §21.5.14', invite([], 'x'.repeat(70000)), 'ERR_SIP_MESSAGE_TOO_LARGE', 513);
bad('version-3', 'Request with SIP/7.0', 'RFC 3261 §8.2.2 / §21.5.13; RFC 4475 §3.1.2.10 (badvers) spirit', invite().replace('SIP/2.0\r\n', 'SIP/7.0\r\n'), 'ERR_SIP_VERSION_NOT_SUPPORTED', 505);
bad('response-version-3', 'Response with SIP/3.0 cannot be answered', 'RFC 3261 §18.1.2', crlf(['SIP/3.0 200 OK', ...base, 'CSeq: 1 INVITE', 'Content-Length: 0']), 'ERR_SIP_VERSION_NOT_SUPPORTED', 'drop');
bad('missing-via', 'No Via: nowhere to send a response', 'RFC 3261 §8.1.1.7', invite([], '', 'INVITE', without('Via')), 'ERR_SIP_MISSING_HEADER', 'drop');
bad('missing-from', 'No From', 'RFC 3261 §8.1.1.3', invite([], '', 'INVITE', without('From')), 'ERR_SIP_MISSING_HEADER', 400);
bad('missing-to', 'No To', 'RFC 3261 §8.1.1.2', invite([], '', 'INVITE', without('To')), 'ERR_SIP_MISSING_HEADER', 400);
bad('missing-call-id', 'No Call-ID', 'RFC 3261 §8.1.1.4', invite([], '', 'INVITE', without('Call-ID')), 'ERR_SIP_MISSING_HEADER', 400);
bad('missing-cseq', 'No CSeq', 'RFC 3261 §8.1.1.5', crlf(['INVITE sip:bob@example.com SIP/2.0', ...base, 'Content-Length: 0']), 'ERR_SIP_MISSING_HEADER', 400);
bad('cseq-not-number', 'CSeq sequence is not a number', 'RFC 3261 §20.16', invite().replace('CSeq: 314159 INVITE', 'CSeq: abc INVITE'), 'ERR_SIP_BAD_CSEQ', 400);
bad('cseq-method-mismatch', 'CSeq method differs from the Request-Line', 'RFC 3261 §8.2 ; RFC 4475 §3.1.2.20 (mismatch01) spirit', invite().replace('CSeq: 314159 INVITE', 'CSeq: 314159 OPTIONS'), 'ERR_SIP_BAD_CSEQ', 400);
bad('cseq-too-big', 'CSeq sequence is 2**32', 'RFC 3261 §8.1.1.5 (must be < 2**31); RFC 4475 §3.1.2.3 spirit', invite().replace('CSeq: 314159', 'CSeq: 4294967296'), 'ERR_SIP_BAD_CSEQ', 400);
bad('cseq-no-method', 'CSeq without a method', 'RFC 3261 §20.16', invite().replace('CSeq: 314159 INVITE', 'CSeq: 314159'), 'ERR_SIP_BAD_CSEQ', 400);
bad('cseq-duplicate', 'Two CSeq headers', 'RFC 3261 §7.3.1', invite(['CSeq: 314160 INVITE']), 'ERR_SIP_DUPLICATE_HEADER', 400);
bad('via-no-sent-by', 'Via without sent-by', 'RFC 3261 §20.42', invite().replace(via, 'Via: SIP/2.0/UDP ;branch=z9hG4bKx'), 'ERR_SIP_BAD_VIA', 'drop');
bad('via-bad-protocol', 'Via sent-protocol missing a slash', 'RFC 3261 §20.42', invite().replace(via, 'Via: SIP/2.0UDP 192.0.2.10;branch=z9hG4bKx'), 'ERR_SIP_BAD_VIA', 'drop');
bad('via-bad-port', 'Via port above 65535', 'RFC 3261 §25.1 (port)', invite().replace('192.0.2.10:5060', '192.0.2.10:99999'), 'ERR_SIP_BAD_VIA', 'drop');
bad('via-empty-branch', 'Via with an empty branch value', 'RFC 3261 §20.42', invite().replace('branch=z9hG4bK776asdhds', 'branch='), 'ERR_SIP_BAD_VIA', 'drop');
bad('via-second-bad', 'Top Via fine, a lower Via malformed: answerable', 'RFC 3261 §20.42', invite(['Via: SIP/2.0/UDP [::1;branch=z9hG4bKy']), 'ERR_SIP_BAD_VIA', 400);
bad('uri-unclosed-ipv6', 'Request-URI with an unclosed IPv6 reference', 'RFC 3261 §25.1; RFC 5118 §4.10 spirit', invite().replace('INVITE sip:bob@example.com', 'INVITE sip:bob@[2001:db8::1'), 'ERR_SIP_BAD_URI', 400);
bad('uri-port-too-big', 'Request-URI port above 65535', 'RFC 3261 §25.1', invite().replace('INVITE sip:bob@example.com', 'INVITE sip:bob@example.com:70000'), 'ERR_SIP_BAD_URI', 400);
bad('uri-not-absolute', 'Request-URI is not an absolute URI', 'RFC 3261 §7.1', invite().replace('INVITE sip:bob@example.com', 'INVITE bob@example.com'), 'ERR_SIP_BAD_URI', 400);
bad('uri-bad-host', 'Request-URI host with an underscore and a bang', 'RFC 3261 §25.1 (hostname)', invite().replace('INVITE sip:bob@example.com', 'INVITE sip:bob@exa_mple!.com'), 'ERR_SIP_BAD_URI', 400);
bad('uri-with-space', 'Request-URI containing a space', 'RFC 4475 §3.1.2.7 (quotbal) spirit', invite().replace('INVITE sip:bob@example.com', 'INVITE sip:bob smith@example.com'), 'ERR_SIP_BAD_START_LINE', 400);
bad('method-not-token', 'Method with a non-token character', 'RFC 3261 §25.1 (Method)', invite().replace('INVITE sip:', 'INV<TE sip:'), 'ERR_SIP_BAD_START_LINE', 400);
bad('start-line-missing-version', 'Request-Line without SIP-Version', 'RFC 3261 §7.1', invite().replace(' SIP/2.0\r\n', '\r\n'), 'ERR_SIP_BAD_START_LINE', 400);
bad('start-line-garbage-version', 'SIP-Version is not SIP/x.y', 'RFC 3261 §7.1', invite().replace(' SIP/2.0\r\n', ' HTTP/1.1\r\n'), 'ERR_SIP_BAD_START_LINE', 400);
bad('response-status-2000', 'Status code with four digits', 'RFC 3261 §7.2', crlf(['SIP/2.0 2000 OK', ...base, 'CSeq: 1 INVITE', 'Content-Length: 0']), 'ERR_SIP_BAD_STATUS_CODE', 'drop');
bad('response-status-099', 'Status code below 100', 'RFC 3261 §7.2', crlf(['SIP/2.0 099 Low', ...base, 'CSeq: 1 INVITE', 'Content-Length: 0']), 'ERR_SIP_BAD_STATUS_CODE', 'drop');
bad('response-missing-cseq', 'A response without CSeq is dropped, never answered', 'RFC 3261 §18.1.2', crlf(['SIP/2.0 200 OK', ...base, 'Content-Length: 0']), 'ERR_SIP_MISSING_HEADER', 'drop');
bad('header-no-colon', 'Header line without a colon', 'RFC 3261 §7.3.1', invite(['NoColonHere']), 'ERR_SIP_BAD_HEADER', 400);
bad('header-name-space', 'Header name containing a space', 'RFC 3261 §25.1 (token)', invite(['Bad Header: x']), 'ERR_SIP_BAD_HEADER', 400);
bad('continuation-first', 'A continuation line right after the start line', 'RFC 3261 §7.3.1', crlf(['INVITE sip:bob@example.com SIP/2.0', ' folded', ...base, 'CSeq: 314159 INVITE', 'Content-Length: 0']), 'ERR_SIP_BAD_HEADER', 400);
bad('nul-in-header', 'NUL byte inside a header value', 'RFC 3261 §25.1 (TEXT-UTF8)', invite(['Subject: a\u0000b']), 'ERR_SIP_BAD_HEADER', 400);
bad('bare-cr', 'Bare CR inside a header line', 'RFC 3261 §7.3.1; RFC 4475 §3.1.2 spirit', invite(['Subject: a\rb']), 'ERR_SIP_BAD_HEADER', 400);
bad('from-unclosed-quote', 'From display name with an unterminated quote', 'RFC 3261 §25.1 (quoted-string); RFC 4475 §3.1.2.7 spirit', invite().replace('From: Alice', 'From: "Alice'), 'ERR_SIP_BAD_ADDRESS', 400);
bad('from-missing-gt', 'From name-addr without >', 'RFC 3261 §20.20', invite().replace('<sip:alice@example.org>', '<sip:alice@example.org'), 'ERR_SIP_BAD_ADDRESS', 400);
bad('to-empty-user', 'To URI with an empty user part', 'RFC 3261 §25.1 (userinfo)', invite().replace('<sip:bob@example.com>', '<sip:@example.com>'), 'ERR_SIP_BAD_ADDRESS', 400);
bad('contact-bad', 'Contact that is not an address', 'RFC 3261 §20.10', invite(['Contact: <not a uri>']), 'ERR_SIP_BAD_ADDRESS', 400);
bad('route-bad', 'Route with a malformed URI', 'RFC 3261 §20.34', invite(['Route: <sip:proxy.example.com:abc;lr>']), 'ERR_SIP_BAD_ADDRESS', 400);
bad('call-id-duplicate', 'Two Call-ID headers', 'RFC 3261 §7.3.1; RFC 4475 §3.1.2.19 (multi-valued singular) spirit', invite(['i: other@x']), 'ERR_SIP_DUPLICATE_HEADER', 400);
bad('from-duplicate', 'Two From headers', 'RFC 3261 §7.3.1', invite(['From: <sip:eve@example.org>;tag=2']), 'ERR_SIP_DUPLICATE_HEADER', 400);
bad('call-id-empty', 'Empty Call-ID', 'RFC 3261 §20.8', invite().replace('Call-ID: a84b4c76e66710@pc33.example.org', 'Call-ID:'), 'ERR_SIP_BAD_HEADER', 400);
bad('max-forwards-text', 'Max-Forwards is not a number', 'RFC 3261 §20.22', invite().replace('Max-Forwards: 70', 'Max-Forwards: seventy'), 'ERR_SIP_BAD_MAX_FORWARDS', 400);
bad('max-forwards-300', 'Max-Forwards above 255', 'RFC 3261 §20.22; RFC 4475 §3.1.2.4 spirit', invite().replace('Max-Forwards: 70', 'Max-Forwards: 300'), 'ERR_SIP_BAD_MAX_FORWARDS', 400);
bad('too-many-headers', '300 header lines', 'streamfork limit (DoS guard)', invite(Array.from({ length: 300 }, (_, i) => `X-H${i}: ${i}`)), 'ERR_SIP_TOO_MANY_HEADERS', 400);
bad('unknown-method-ok', 'Unknown method: parses; the UAS answers 501', 'RFC 3261 §8.2.1', invite([], '', 'FROBNICATE'), 'ok', 501, { answerBy: 'TU' });
bad('sdp-garbage', 'INVITE whose application/sdp body is not SDP', 'RFC 4566 §5', invite([], 'this is not sdp at all\r\n'), 'ok', 400, { sdp: 'ERR_SDP_MALFORMED' });
bad('sdp-no-media', 'SDP without any m= line', 'RFC 3264 §5', invite([], ['v=0', 'o=- 1 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', ''].join('\r\n')), 'ok', 488, { sdp: 'ERR_SDP_NOT_ACCEPTABLE' });
bad('sdp-video-only', 'SDP offering only video', 'RFC 3264 §6', invite([], ['v=0', 'o=- 1 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', 'm=video 5000 RTP/AVP 96', 'a=rtpmap:96 H264/90000', ''].join('\r\n')), 'ok', 488, { sdp: 'ERR_SDP_NOT_ACCEPTABLE' });
bad('sdp-g729-only', 'SDP offering only G.729', 'RFC 3264 §6', invite([], ['v=0', 'o=- 1 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', 'm=audio 5000 RTP/AVP 18', 'a=rtpmap:18 G729/8000', ''].join('\r\n')), 'ok', 488, { sdp: 'ERR_SDP_NOT_ACCEPTABLE' });
bad('sdp-srtp-only', 'SDP offering only RTP/SAVP', 'RFC 3264 §6; RFC 3711', invite([], ['v=0', 'o=- 1 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', 'm=audio 5000 RTP/SAVP 0', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz', ''].join('\r\n')), 'ok', 488, { sdp: 'ERR_SDP_NOT_ACCEPTABLE' });
bad('sdp-no-connection', 'SDP audio stream without any c= line', 'RFC 4566 §5.7', invite([], ['v=0', 'o=- 1 1 IN IP4 192.0.2.10', 's=-', 't=0 0', 'm=audio 5000 RTP/AVP 0', ''].join('\r\n')), 'ok', 400, { sdp: 'ERR_SDP_MALFORMED' });

const utf8Base = Buffer.from(invite(['Subject: ZZZZ']));
const zz = utf8Base.indexOf('ZZZZ');
write('bad', 'invalid-utf8-bytes', Buffer.concat([utf8Base.subarray(0, zz), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), utf8Base.subarray(zz + 4)]),
  { description: 'Invalid UTF-8 bytes in the Subject header', source: 'RFC 3261 §25.1 (UTF8-NONASCII); RFC 3629', expect: { parse: 'ERR_SIP_BAD_ENCODING', answer: 400 } });
const garbage = new Uint8Array(512);
let seed = 0x2545f491;
for (let i = 0; i < garbage.length; i++) {
  seed = (seed * 1103515245 + 12345) >>> 0;
  garbage[i] = (seed >>> 16) & 0xff;
}
write('bad', 'binary-garbage', garbage, { description: '512 pseudo-random bytes (LCG seed 0x2545f491)', source: 'streamfork fuzz seed', expect: { parse: 'any-error', answer: 'drop' } });
write('bad', 'binary-garbage-with-blank-line', Buffer.concat([Buffer.from([0x80, 0x81, 0x00, 0x7f, 0x0d, 0x0a, 0x0d, 0x0a]), garbage.subarray(0, 64)]),
  { description: 'Binary bytes followed by an empty line', source: 'streamfork fuzz seed', expect: { parse: 'ERR_SIP_BAD_ENCODING', answer: 'drop' } });
write('bad', 'rtp-packet', Buffer.from('80000001000000a0deadbeef' + 'ff'.repeat(160), 'hex'),
  { description: 'An RTP packet sent to the SIP port by mistake', source: 'RFC 3550 §5.1 header', expect: { parse: 'any-error', answer: 'drop' } });
