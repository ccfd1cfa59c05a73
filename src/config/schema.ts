/**
 * The one server configuration schema (STYLE.md 5.7). Every key carries its type, default, unit and a
 * one-line doc here; its environment variable name is derived from its path (`envNameFor`). Types
 * (`Config`), validation (`load.ts`), `docs/config.md` and `.env.example` all derive from this module.
 *
 * Conventions: `additionalProperties: false` on every object (unknown keys are errors); quantities carry
 * their unit in the key (`timeoutMs`, `bufferSeconds`) and in the `unit` annotation; optional features
 * are `X | null` with a `null` default rather than absent keys.
 */
import { Type, type Static, type TSchema } from 'typebox';

import { LimitsSection, MetricsSection, legacyMaxCalls, webhookDialect } from './schema-ops.js';
import { RecordingSection } from './schema-recording.js';
import { rtpCodecKeys } from './codec-keys.js';
import { SipRegistrations, SipTls } from './schema-sip.js';

/** Annotations every leaf key carries besides its JSON Schema keywords. */
interface KeyDoc {
  /** One line, shown in docs/config.md and .env.example. */
  readonly description: string;
  /** Unit of the value (`ms`, `s`, `bytes`, `port`, …), or omitted for unitless values. */
  readonly unit?: string;
}

const closed = { additionalProperties: false } as const;

/** String constraints; `expected` is the human wording used in error messages for a pattern. */
interface StrRules {
  readonly minLength?: number;
  readonly pattern?: string;
  readonly expected?: string;
}

function str(defaultValue: string, doc: KeyDoc, extra: StrRules = {}) {
  return Type.String({ ...extra, default: defaultValue, ...doc });
}

function int(defaultValue: number, minimum: number, maximum: number, doc: KeyDoc) {
  return Type.Integer({ minimum, maximum, default: defaultValue, ...doc });
}

function bool(defaultValue: boolean, doc: KeyDoc) {
  return Type.Boolean({ default: defaultValue, ...doc });
}

function nullableStr(doc: KeyDoc, extra: StrRules = { minLength: 1 }) {
  return Type.Union([Type.String({ ...extra }), Type.Null()], { default: null, ...doc });
}

/** An `http://` or `https://` URL. */
const httpUrl: StrRules = { pattern: '^https?://[^\\s]+$', expected: 'http:// or https:// URL' };
function httpMethod(doc: KeyDoc) {
  return Type.Union([Type.Literal('GET'), Type.Literal('POST')], { default: 'POST', ...doc });
}

const SipTransport = Type.Union([Type.Literal('udp'), Type.Literal('tcp')]);

const SipUser = Type.Object(
  {
    username: Type.String({ minLength: 1, description: 'SIP digest username.' }),
    password: Type.String({ minLength: 1, description: 'SIP digest password (redacted in logs).' }),
  },
  closed,
);

const InboundAuth = Type.Object(
  {
    realm: str('streamfork', { description: 'Digest realm offered in 401 challenges.' }, { minLength: 1 }),
    users: Type.Array(SipUser, {
      minItems: 1,
      description: 'Accepted credentials; env form `user:pass,user2:pass2` or a JSON array.',
    }),
  },
  closed,
);

const Trunk = Type.Object(
  {
    uri: Type.String({
      pattern: '^sips?:[^\\s]+$',
      expected: 'sip: or sips: URI',
      description: 'SIP URI of the trunk/proxy for outbound calls (`sip:host:port`).',
    }),
    username: nullableStr({ description: 'Digest username for the trunk, or null for none.' }),
    password: nullableStr({ description: 'Digest password for the trunk (redacted in logs).' }),
    fromUser: nullableStr({ description: "User part of the From header, or null to use the call's `from`." }),
    fromDomain: nullableStr({
      description: 'Host part of the From header, or null to use sip.publicAddress.',
    }),
  },
  closed,
);

const Sip = Type.Object(
  {
    host: str('127.0.0.1', { description: 'Address the SIP listener binds to.' }, { minLength: 1 }),
    port: int(5060, 1, 65535, { description: 'SIP listening port (UDP and TCP).', unit: 'port' }),
    transports: Type.Array(SipTransport, {
      minItems: 1,
      uniqueItems: true,
      default: ['udp', 'tcp'],
      description: 'SIP transports to listen on; env form `udp,tcp`.',
    }),
    publicAddress: nullableStr({
      description: 'Address written into Via/Contact/SDP when behind NAT; null uses sip.host.',
    }),
    allowFrom: Type.Array(Type.String({ minLength: 1 }), {
      default: ['127.0.0.1/32', '::1/128'],
      description: 'Source addresses/CIDRs allowed to send SIP requests; env form comma-separated.',
    }),
    inboundAuth: Type.Union([InboundAuth, Type.Null()], {
      default: null,
      description: 'Digest authentication demanded of inbound INVITEs, or null for none (rely on allowFrom).',
    }),
    trunk: Type.Union([Trunk, Type.Null()], {
      default: null,
      description: 'Outbound SIP trunk for REST-created calls, or null to dial the `to` URI directly.',
    }),
    registrations: SipRegistrations,
    tls: SipTls,
    sessionExpiresSec: int(1800, 0, 86400, {
      description:
        'RFC 4028 session interval we ask for (outbound) or insert when the caller asks for none (inbound); the refresher re-INVITEs at half of it, and a dialog left unrefreshed is ended with BYE (cause RECOVERY_ON_TIMER_EXPIRE). 1800 is the value RFC 4028 recommends; a value below sip.minSessionExpiresSec is raised to it; 0 only honours intervals the far end asks for.',
      unit: 's',
    }),
    minSessionExpiresSec: int(90, 90, 86400, {
      description:
        'Smallest session interval accepted (our Min-SE); an INVITE asking for less gets 422 (RFC 4028 §9). 90 is the RFC floor.',
      unit: 's',
    }),
  },
  closed,
);

const Rtp = Type.Object(
  {
    host: str('127.0.0.1', { description: 'Address RTP sockets bind to.' }, { minLength: 1 }),
    portMin: int(20000, 1024, 65535, {
      description: 'Lowest UDP port of the RTP range (even ports are used).',
      unit: 'port',
    }),
    portMax: int(20999, 1024, 65535, {
      description: 'Highest UDP port of the RTP range (inclusive).',
      unit: 'port',
    }),
    recvBufferBytes: int(262144, 0, 67108864, {
      description: 'SO_RCVBUF requested per RTP socket; 0 keeps the OS default.',
      unit: 'bytes',
    }),
    ...rtpCodecKeys,
  },
  closed,
);

const Tls = Type.Object(
  {
    certFile: Type.String({ minLength: 1, description: 'Path to the PEM certificate chain.' }),
    keyFile: Type.String({ minLength: 1, description: 'Path to the PEM private key.' }),
  },
  closed,
);

const Http = Type.Object(
  {
    host: str('127.0.0.1', { description: 'Address the REST API binds to.' }, { minLength: 1 }),
    port: int(8080, 1, 65535, { description: 'REST API listening port.', unit: 'port' }),
    tls: Type.Union([Tls, Type.Null()], {
      default: null,
      description: 'Serve HTTPS with these files, or null for plain HTTP.',
    }),
    bodyLimitBytes: int(1048576, 1024, 104857600, {
      description: 'Largest REST request body accepted.',
      unit: 'bytes',
    }),
    allowedTargets: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description:
        'Outbound targets allowed despite a broader denied entry (CIDRs, addresses, `host.name`, `*.example.com`); the most specific entry wins (docs/security.md). Env form comma-separated.',
    }),
    deniedTargets: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description:
        'Outbound targets refused for every URL and WebSocket fetched and SIP URI dialled without a trunk, on top of the built-in link-local/metadata/multicast denials; checked after DNS. Env form comma-separated.',
    }),
  },
  closed,
);

const Auth = Type.Object(
  {
    authId: str(
      'MASTREAMFORK00000000',
      {
        description:
          'Account auth ID (Plivo-shaped `MA` + 18 characters); the user part of REST Basic auth and of /v1/Account/{auth_id}/.',
      },
      { pattern: '^[A-Za-z0-9]{2,64}$', expected: '2-64 letters and digits' },
    ),
    authToken: Type.String({
      minLength: 1,
      description:
        'Account auth token: REST Basic auth password and the key of X-Plivo-Signature-V3. Required, no default.',
    }),
  },
  closed,
);

const Answer = Type.Object(
  {
    answerUrl: nullableStr(
      { description: 'URL fetched for the XML of inbound calls; null rejects inbound calls.' },
      httpUrl,
    ),
    answerMethod: httpMethod({ description: 'HTTP method for answerUrl.' }),
    webhookDialect,
    fallbackUrl: nullableStr({ description: 'URL fetched when answerUrl fails, or null.' }, httpUrl),
    fallbackMethod: httpMethod({ description: 'HTTP method for fallbackUrl.' }),
    hangupUrl: nullableStr({ description: 'URL notified when an inbound call ends, or null.' }, httpUrl),
    hangupMethod: httpMethod({ description: 'HTTP method for hangupUrl.' }),
    timeoutMs: int(5000, 100, 120000, {
      description: 'Timeout of one answer/fallback/hangup URL request.',
      unit: 'ms',
    }),
    attempts: int(3, 1, 10, {
      description:
        'Attempts at answerUrl (first included) on transport errors and 5xx before fallbackUrl; Plivo makes 3.',
    }),
    maxXmlBytes: int(102400, 1024, 1048576, {
      description: 'Largest answer XML document accepted (Plivo: 100 KB).',
      unit: 'bytes',
    }),
  },
  closed,
);

const Storage = Type.Object(
  {
    driver: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres'), Type.Literal('memory')], {
      default: 'sqlite',
      description:
        'Call/stream record store: `sqlite` (durable, one node), `postgres` (shared by the nodes of a cluster; `storage.url`) or `memory` (lost on exit; tests only).',
    }),
    url: nullableStr(
      {
        description:
          'PostgreSQL connection URL for driver `postgres`: `postgres://user:password@host:5432/db` (issue 12’s `store.url`). The password is redacted in logs and errors.',
      },
      { pattern: '^postgres(ql)?://[^\\s]+$', expected: 'postgres:// or postgresql:// URL' },
    ),
    dataDir: str(
      './.data',
      { description: 'Directory holding the SQLite database (created if missing).' },
      { minLength: 1 },
    ),
  },
  closed,
);

const Cluster = Type.Object(
  {
    nodeId: str('', {
      description:
        'This node’s name on its call records and callback outbox rows; empty: the host name and the SIP port (`host:5060`).',
    }),
    redisUrl: nullableStr(
      {
        description:
          'Redis of the live cluster registry (`redis://host:6379/0`): heartbeats, call owners, REST forwarding, node-loss takeover; null: a single node.',
      },
      { pattern: '^rediss?://[^\\s]+$', expected: 'redis:// or rediss:// URL' },
    ),
    advertiseApiUrl: nullableStr(
      {
        description:
          'The URL other nodes reach this node’s REST API at (forwarded commands); null: http(s)://<http.host>:<bound port>.',
      },
      httpUrl,
    ),
    heartbeatMs: int(1000, 100, 60_000, {
      description: 'How often the node refreshes its registry record and reads the membership.',
      unit: 'ms',
    }),
    nodeTtlMs: int(3000, 300, 600_000, {
      description: 'A node whose record is older than this is lost; a survivor ends its calls (`Node Lost`).',
      unit: 'ms',
    }),
    forwardTimeoutMs: int(2000, 100, 60_000, {
      description:
        'A command forwarded to the node owning a call fails (ERR_CLUSTER_FORWARD_TIMEOUT) after this.',
      unit: 'ms',
    }),
  },
  closed,
);

const Stream = Type.Object(
  {
    extraHeadersMode: Type.Union([Type.Literal('semicolon'), Type.Literal('verbatim')], {
      default: 'semicolon',
      description:
        '`extra_headers` on the wire: k=v pairs re-joined with `;` (D4) or the attribute verbatim.',
    }),
    l16ByteOrder: Type.Union([Type.Literal('little'), Type.Literal('big')], {
      default: 'little',
      description: 'Byte order of audio/x-l16 payloads in both directions (D6).',
    }),
    sendStop: bool(false, { description: 'Send a `stop` event just before closing the WebSocket (D7).' }),
    connectAttempts: int(3, 1, 10, {
      description: 'WebSocket connect attempts in total, first included (D10).',
    }),
    connectTimeoutMs: int(5000, 100, 60000, {
      description: 'Timeout of one WebSocket connect attempt (D10).',
      unit: 'ms',
    }),
    connectBackoffMs: int(500, 0, 30000, {
      description: 'Pause between WebSocket connect attempts (D10).',
      unit: 'ms',
    }),
    bufferSeconds: int(40, 1, 600, {
      description: 'Outbound media buffered per stream before it is dropped (D11).',
      unit: 's',
    }),
    maxStreamsPerCall: int(10, 1, 100, { description: 'Concurrent streams allowed on one call.' }),
    wsMaxPayloadBytes: int(4194304, 1024, 67108864, {
      description: 'Largest WebSocket message accepted from an app.',
      unit: 'bytes',
    }),
    signWebSocketUrlAs: Type.Union([Type.Literal('scheme-mapped'), Type.Literal('plain-http')], {
      default: 'scheme-mapped',
      description:
        'URL signed on the WebSocket upgrade (D8): `scheme-mapped` signs the service URL with ws→http and wss→https; `plain-http` always signs http:// (for apps behind a TLS-terminating proxy).',
    }),
  },
  closed,
);

const Tts = Type.Object(
  {
    engine: Type.Union([Type.Literal('espeak-ng')], {
      default: 'espeak-ng',
      description: 'Text-to-speech engine for <Speak>.',
    }),
    command: str(
      'espeak-ng',
      { description: 'Executable run for the espeak-ng engine (PATH lookup).' },
      { minLength: 1 },
    ),
    voice: str('en-us', { description: 'Default voice when <Speak> names none.' }, { minLength: 1 }),
  },
  closed,
);

const Log = Type.Object(
  {
    level: Type.Union(
      [
        Type.Literal('fatal'),
        Type.Literal('error'),
        Type.Literal('warn'),
        Type.Literal('info'),
        Type.Literal('debug'),
        Type.Literal('trace'),
        Type.Literal('silent'),
      ],
      { default: 'info', description: 'Minimum log level.' },
    ),
    redact: bool(true, {
      description: 'Redact PII (numbers, SIP users, digits, tokens, extra headers) in logs.',
    }),
    pretty: bool(false, { description: 'Human-readable logs instead of JSON lines (development).' }),
  },
  closed,
);

const Tuning = Type.Object(
  {
    jitterBufferMs: int(40, 0, 1000, {
      description:
        'How long a missing inbound RTP packet may hold back the ones behind it before it is concealed; packets that arrive in order are forwarded at once.',
      unit: 'ms',
    }),
    mediaTimeoutSec: int(60, 0, 86400, {
      description:
        'Hang up a call (cause MEDIA_TIMEOUT, BYE sent) when no RTP has arrived from the far end for this long, unless it holds the call; so a call whose BYE was lost does not stream forever. 0 turns it off.',
      unit: 's',
    }),
    holdTimeoutSec: int(3600, 0, 86400, {
      description:
        'Hang up a call (cause MEDIA_TIMEOUT, BYE sent) that the far end has kept on hold (a=inactive, sendonly or recvonly, or c=0.0.0.0) this long without resuming, since the media timeout does not run on hold. One hour outlasts real hold music yet frees the stream, WebSocket and RTP ports of a caller that vanished while holding. 0 turns it off.',
      unit: 's',
    }),
    maxCallDurationSec: int(14400, 1, 86400, {
      description:
        "Longest an answered call may last before it is hung up (cause Scheduled Hangup, BYE sent): inbound calls, and REST calls created without `time_limit`. 14400 (4 h) is Plivo's time_limit default; 86400 is Plivo's hard cap.",
      unit: 's',
    }),
    clockPhases: int(4, 1, 8, {
      description:
        'Sub-ticks per 20 ms frame over which calls are spread, so outbound RTP leaves evenly instead of in one burst per frame.',
    }),
    maxPlayoutQueueMs: int(120000, 1000, 3600000, {
      description: 'Most playAudio audio queued per stream; beyond it playAudio is refused.',
      unit: 'ms',
    }),
    callbackTimeoutMs: int(5000, 100, 60000, {
      description: 'Timeout of one status callback request.',
      unit: 'ms',
    }),
    callbackAttempts: int(3, 1, 50, {
      description:
        'Attempts per status or hangup callback on retryable failures (connect error, timeout, 5xx, 408, 429), first included; then it is given up and recorded (docs/status-callbacks.md).',
    }),
    callbackMaxBackoffMs: int(60000, 100, 3600000, {
      description:
        'Longest wait between two attempts of a callback: the wait starts at 500 ms and doubles after each failed attempt, up to this.',
      unit: 'ms',
    }),
    callbackMaxAgeSec: int(86400, 1, 86400, {
      description:
        'A callback not delivered this long after it was sent is given up (also one found in the outbox at start).',
      unit: 's',
    }),
    shutdownGraceMs: int(10000, 0, 600000, {
      description:
        'After the drain, how long the records and status callbacks of the calls just ended (and the engine) get to finish before the process closes them.',
      unit: 'ms',
    }),
    drainTimeoutSec: int(20, 0, 3600, {
      description:
        'On SIGTERM the node drains: OPTIONS and new INVITEs get 503 at once (a proxy in front moves new calls elsewhere) and live calls may end on their own for up to this long; those still up then are ended with BYE (cause Server Shutdown). 20 s leaves room for the rest of the stop within the 30 s a supervisor such as Kubernetes waits by default before it kills. 0 ends live calls at once.',
      unit: 's',
    }),
    maxCalls: legacyMaxCalls,
  },
  closed,
);

/** The server configuration schema (TypeBox, JSON Schema underneath). */
export const ConfigSchema = Type.Object(
  {
    sip: Type.Object(Sip.properties, { ...closed, default: {}, description: 'SIP listener and trunk.' }),
    rtp: Type.Object(Rtp.properties, { ...closed, default: {}, description: 'RTP media sockets.' }),
    http: Type.Object(Http.properties, {
      ...closed,
      default: {},
      description: 'REST API listener and the outbound target policy.',
    }),
    auth: Type.Object(Auth.properties, { ...closed, default: {}, description: 'Account credentials.' }),
    answer: Type.Object(Answer.properties, {
      ...closed,
      default: {},
      description: 'Inbound call XML and hangup URLs.',
    }),
    storage: Type.Object(Storage.properties, {
      ...closed,
      default: {},
      description: 'Durable call and stream records.',
    }),
    cluster: Type.Object(Cluster.properties, {
      ...closed,
      default: {},
      description: 'Several nodes on one shared record store (docs/cluster.md).',
    }),
    stream: Type.Object(Stream.properties, {
      ...closed,
      default: {},
      description: '<Stream> audio forking (compatibility decisions D4–D11).',
    }),
    tts: Type.Object(Tts.properties, { ...closed, default: {}, description: 'Text to speech for <Speak>.' }),
    log: Type.Object(Log.properties, { ...closed, default: {}, description: 'Logging.' }),
    tuning: Type.Object(Tuning.properties, {
      ...closed,
      default: {},
      description: 'Tuning knobs; the defaults suit most deployments.',
    }),
    limits: LimitsSection,
    metrics: MetricsSection,
    recording: RecordingSection,
  },
  closed,
);

/** The validated, deep-frozen server configuration passed down from the composition root. */
export type Config = DeepReadonly<Static<typeof ConfigSchema>>;

/** Names of the top-level sections. */
export type ConfigSection = keyof Config;

/** Readonly all the way down (arrays included). */
export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** Any subset of the configuration, as accepted for overrides (arrays and nulls replace, objects merge). */
export type DeepPartial<T> = T extends readonly (infer U)[]
  ? readonly U[]
  : T extends object
    ? { readonly [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** Prefix of every environment variable the loader reads. */
export const ENV_PREFIX = 'STREAMFORK_';

/** Environment variables with a meaning outside the schema (not config keys). */
export const RESERVED_ENV: Readonly<Record<string, string>> = {
  STREAMFORK_CONFIG: 'Path of a JSON config file, used when no file is passed on the command line.',
};

/**
 * The environment variable for a key path: `STREAMFORK_` + the path's segments in UPPER_SNAKE joined
 * by `_`, e.g. `['http', 'port']` → `STREAMFORK_HTTP_PORT`, `['rtp', 'portMin']` →
 * `STREAMFORK_RTP_PORT_MIN`.
 */
export function envNameFor(path: readonly string[]): string {
  return ENV_PREFIX + path.map((seg) => seg.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

/** A leaf of the schema: a key set by one value (scalar, array, or a null-able scalar). */
export interface ConfigLeaf {
  readonly path: readonly string[];
  readonly schema: TSchema;
  readonly env: string;
  /** True for keys inside a null-able object (`sip.trunk.uri`): setting one makes the object non-null. */
  readonly inNullableObject: boolean;
}

/** The object branch of an `Object | Null` union, or undefined for any other schema. */
export function nullableObjectBranch(schema: TSchema): TSchema | undefined {
  const anyOf = (schema as { anyOf?: readonly TSchema[] }).anyOf;
  if (anyOf?.length !== 2) {
    return undefined;
  }
  const obj = anyOf.find((s) => (s as { type?: unknown }).type === 'object');
  const nul = anyOf.find((s) => (s as { type?: unknown }).type === 'null');
  return obj !== undefined && nul !== undefined ? obj : undefined;
}

/** Properties of an object schema, or undefined for a non-object. */
export function objectProperties(schema: TSchema): Readonly<Record<string, TSchema>> | undefined {
  const s = schema as { type?: unknown; properties?: Record<string, TSchema> };
  return s.type === 'object' ? s.properties : undefined;
}

/** Every leaf key in declaration order (sections, then keys; null-able objects are descended). */
export function configLeaves(): readonly ConfigLeaf[] {
  const out: ConfigLeaf[] = [];
  const walk = (schema: TSchema, path: readonly string[], inNullable: boolean): void => {
    const props = objectProperties(schema);
    const branch = nullableObjectBranch(schema);
    if (props !== undefined && path.length < 2) {
      for (const [key, sub] of Object.entries(props)) {
        walk(sub, [...path, key], inNullable);
      }
      return;
    }
    if (branch !== undefined) {
      for (const [key, sub] of Object.entries(objectProperties(branch) ?? {})) {
        walk(sub, [...path, key], true);
      }
      return;
    }
    out.push({ path, schema, env: envNameFor(path), inNullableObject: inNullable });
  };
  walk(ConfigSchema, [], false);
  return out;
}
