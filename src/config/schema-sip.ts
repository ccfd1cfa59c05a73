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
        'Send an OPTIONS to the registrar this often to keep a NAT binding open (25 suits most NATs on UDP); 0: never.',
      unit: 's',
    }),
    transport: Type.Union([Type.Literal('udp'), Type.Literal('tcp')], {
      default: 'udp',
      description: 'Transport of the REGISTERs (and of the Contact we register).',
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
