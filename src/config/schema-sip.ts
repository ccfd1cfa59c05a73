/**
 * The `sip.registrations` entry of the configuration schema (issue 13: outbound registration). Same
 * conventions as schema.ts, which assembles it.
 */
import { Type } from 'typebox';

function nullable(doc: { readonly description: string }) {
  return Type.Union([Type.String({ minLength: 1 }), Type.Null()], { default: null, ...doc });
}

export const SipRegistration = Type.Object(
  {
    registrar: Type.String({
      pattern: '^sips?:[^\\s]+$',
      expected: 'sip: URI',
      description:
        'Registrar URI (`sip:host[:port]`, an IP address or a host name): the REGISTER goes there, its host is the domain of the address-of-record `sip:username@host`, and INVITEs from its address are accepted besides sip.allowFrom.',
    }),
    username: Type.String({
      minLength: 1,
      description: 'User part of the address-of-record (redacted in logs).',
    }),
    password: Type.String({ minLength: 1, description: 'Digest password (redacted in logs).' }),
    authUsername: nullable({ description: 'Digest username when it differs from username, or null.' }),
    realm: nullable({
      description:
        'Only answer digest challenges for this realm, or null to answer any realm the registrar names.',
    }),
    expiresSec: Type.Integer({
      minimum: 10,
      maximum: 86400,
      default: 3600,
      description:
        'Registration lifetime asked for; the registrar may grant less (or demand more with 423). Refreshed at max(granted/2, granted-30 s).',
      unit: 's',
    }),
    contactUser: nullable({
      description:
        'User part of our Contact, or null for a random one per run (an INVITE whose Request-URI names it is accepted while the binding is registered).',
    }),
    keepAliveSec: Type.Integer({
      minimum: 0,
      maximum: 3600,
      default: 0,
      description:
        'Keep-alive to the registrar this often, keeping a NAT binding open: OPTIONS over UDP, a CRLF ping (RFC 5626) over TCP/TLS, re-registering when it gets no pong (docs/nat.md); 25 suits most NATs; 0: never.',
      unit: 's',
    }),
    transport: Type.Union([Type.Literal('udp'), Type.Literal('tcp'), Type.Literal('tls')], {
      default: 'udp',
      description:
        'Transport of the REGISTERs (and of the Contact we register); tls needs sip.tls (docs/sip.md#tls).',
    }),
  },
  { additionalProperties: false },
);

/** `sip.registrations`. */
export const SipRegistrations = Type.Array(SipRegistration, {
  default: [],
  description:
    'Outbound registrations (RFC 3261 §10) to carriers or PBXs, one binding each, refreshed before expiry and retried with backoff (docs/sip.md#registration); env form a JSON array.',
});

/** `sip.tls`: SIP over TLS (RFC 3261 §26, RFC 5630), or null for no TLS listener. */
export const SipTls = Type.Union(
  [
    Type.Object(
      {
        port: Type.Integer({
          minimum: 0,
          maximum: 65535,
          default: 5061,
          description: 'TLS listening port (5061 is the sips: default; 0 picks a free one).',
          unit: 'port',
        }),
        certFile: Type.String({
          minLength: 1,
          description:
            'PEM certificate (chain) we present, as server and as client; read at start (must be readable).',
        }),
        keyFile: Type.String({ minLength: 1, description: 'PEM private key of certFile; read at start.' }),
        caFile: nullable({
          description:
            "PEM CA bundle the peers' certificates must chain to, or null for Node's bundled public roots.",
        }),
        verifyPeer: Type.Boolean({
          default: true,
          description:
            "Verify peers: a server's certificate must chain to caFile and name the host we dialled (SNI is that host), and, when caFile is set, clients connecting to us must present one that chains to it (mutual TLS); false accepts any certificate (tests only).",
        }),
      },
      { additionalProperties: false },
    ),
    Type.Null(),
  ],
  {
    default: null,
    description:
      'SIP over TLS (docs/sip.md#tls): a listener on its own port and TLS for sips: and ;transport=tls targets, or null for none.',
  },
);
