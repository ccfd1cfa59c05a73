/**
 * Call resource schemas (compatibility §9): create, get, list (completed, or live with `?status=live`),
 * hang up, transfer, send DTMF.
 */
import { Type, type Static } from 'typebox';

import { ListMeta, PageQuery, expecting, httpMethodParam, httpUrlParam, nullableString } from './common.js';

/**
 * Most destinations one Call create may join with `<`. Plivo accepts up to 1000 unique ones and paces
 * them; streamfork dials every destination at once (one INVITE and one RTP port pair each), so it keeps
 * a bulk request small.
 */
export const MAX_BULK_DESTINATIONS = 10;

export const CallCreateBody = Type.Object(
  {
    from: expecting(
      Type.String({
        minLength: 1,
        description:
          'Caller ID: a number (country code and number, digits with an optional +, at most 15) or a sip:/sips: URI. Required.',
      }),
      'a caller ID',
    ),
    to: expecting(
      Type.String({
        minLength: 1,
        description: `Destination: a number (country code and number, digits with an optional +, at most 15) or a sip:/sips: URI. Several (at most ${MAX_BULK_DESTINATIONS}; Plivo allows 1000, but streamfork dials them all at once) joined by "<" place one call each; a bad one answers 400 naming its position, and nothing is dialled. Required.`,
      }),
      'a number or SIP URI (several joined by "<")',
    ),
    answer_url: httpUrlParam('URL fetched for the call XML when it is answered. Required.'),
    answer_method: Type.Optional(httpMethodParam('Method for answer_url. Default POST.')),
    hangup_url: Type.Optional(httpUrlParam('URL notified when the call ends.')),
    hangup_method: Type.Optional(httpMethodParam('Method for hangup_url. Default POST.')),
    fallback_url: Type.Optional(httpUrlParam('URL fetched when answer_url fails.')),
    fallback_method: Type.Optional(httpMethodParam('Method for fallback_url. Default POST.')),
    time_limit: Type.Optional(
      expecting(
        Type.Integer({
          minimum: 1,
          maximum: 86400,
          description:
            'Seconds after answer at which the call is hung up (cause Scheduled Hangup). Default tuning.maxCallDurationSec (14400); at most 86400.',
        }),
        'an integer from 1 to 86400 (seconds)',
      ),
    ),
    ring_timeout: Type.Optional(
      expecting(
        Type.Integer({ minimum: 1, description: 'Seconds the call may ring. Default 120.' }),
        'a positive integer (seconds)',
      ),
    ),
  },
  { description: 'Call create parameters (JSON or form). Other Plivo parameters are accepted and ignored.' },
);
export type CallCreateBody = Static<typeof CallCreateBody>;

export const CallCreated = Type.Object(
  {
    api_id: Type.String(),
    message: Type.String({ description: '"call fired" (one destination) or "calls fired" (several).' }),
    request_uuid: Type.Union([Type.String(), Type.Array(Type.String())], {
      description: 'The request UUID; an array, in destination order, when `to` named several.',
    }),
  },
  { description: 'The call was handed to the dialler; it proceeds in the background.' },
);

export const CallGetQuery = Type.Object({
  status: Type.Optional(
    expecting(
      Type.Literal('live', { description: '"live": answer with the live-call shape; 404 once ended.' }),
      'live',
    ),
  ),
});

export const CallListQuery = Type.Object({
  status: Type.Optional(
    expecting(
      Type.Literal('live', {
        description: '"live": list the UUIDs of live calls instead of completed calls.',
      }),
      'live',
    ),
  ),
  ...PageQuery,
});
export type CallListQuery = Static<typeof CallListQuery>;

const cdrProperties = {
  answer_time: nullableString('UTC answer time, or null.'),
  bill_duration: Type.Integer(),
  billed_duration: Type.Integer(),
  call_direction: Type.String(),
  call_duration: Type.Integer(),
  call_status: Type.String(),
  call_uuid: Type.String(),
  conference_uuid: Type.Null(),
  end_time: nullableString('UTC end time, or null while live.'),
  from_number: Type.String(),
  hangup_cause_code: Type.Union([Type.Integer(), Type.Null()]),
  hangup_cause_name: nullableString('Plivo hangup cause, or null while live.'),
  hangup_source: nullableString('Who ended the call, or null while live.'),
  initiation_time: Type.String(),
  parent_call_uuid: nullableString('A-leg UUID of a B-leg, or null.'),
  request_uuid: nullableString('request_uuid of the Call create that placed it, or null.'),
  resource_uri: Type.String(),
  stir_verification: Type.String(),
  to_number: Type.String(),
  total_amount: Type.String(),
  total_rate: Type.String(),
  error: Type.Unknown({
    description: 'streamfork extension: why the call failed (XML validation errors, fetch failure), or null.',
  }),
  ended_abnormally: Type.Boolean({
    description:
      'streamfork extension: true when the server stopped (crash, kill -9) while the call was live; end_time is then the last time the server saw the call alive (refreshed every 5 s), and hangup_cause_name is "Server Restart".',
  }),
};

/** The call detail record as a list item. */
export const CallObject = Type.Object(cdrProperties, { description: 'Call detail record.' });

export const CallDetail = Type.Object(
  { api_id: Type.String(), ...cdrProperties },
  { description: 'Call detail record plus api_id.' },
);

export const LiveCallDetail = Type.Object(
  {
    api_id: Type.String(),
    call_status: Type.String(),
    call_uuid: Type.String(),
    caller_name: Type.String(),
    direction: Type.String(),
    from: Type.String(),
    parent_call_uuid: nullableString('A-leg UUID, or null.'),
    request_uuid: nullableString('Request UUID, or null.'),
    session_start: Type.String(),
    stir_verification: Type.String(),
    to: Type.String(),
  },
  { description: 'A live call (`?status=live`).' },
);

/** GET Call with or without `?status=live`: one of two shapes. */
export const CallGetResponse = Type.Union([CallDetail, LiveCallDetail], {
  description: 'Call detail record, or the live-call shape with ?status=live.',
});

export const CallList = Type.Object(
  { api_id: Type.String(), meta: ListMeta, objects: Type.Array(CallObject) },
  { description: 'Completed calls, newest first.' },
);

export const LiveCallList = Type.Object(
  { api_id: Type.String(), calls: Type.Array(Type.String()) },
  { description: 'UUIDs of live calls (`?status=live`), as Plivo answers it.' },
);

export const CallListResponse = Type.Union([CallList, LiveCallList], {
  description: 'Completed calls, or live call UUIDs with ?status=live.',
});

export const CallTransferBody = Type.Object(
  {
    legs: Type.Optional(
      expecting(
        Type.Enum(['aleg', 'bleg', 'both'], {
          description: 'Which leg to transfer. Default aleg; only aleg is supported.',
        }),
        'aleg, bleg or both',
      ),
    ),
    aleg_url: Type.Optional(httpUrlParam('URL of the XML the A leg runs next. Required for legs=aleg.')),
    aleg_method: Type.Optional(httpMethodParam('Method for aleg_url. Default POST.')),
  },
  { description: 'Transfer: the call drops its current XML and runs the document at aleg_url.' },
);
export type CallTransferBody = Static<typeof CallTransferBody>;

export const CallTransferred = Type.Object(
  { api_id: Type.String(), message: Type.Literal('call transferred'), call_uuids: Type.Array(Type.String()) },
  { description: 'Transfer accepted.' },
);

export const DtmfBody = Type.Object(
  {
    digits: expecting(
      Type.String({
        pattern: '^[0-9A-Da-d*#]{1,64}$',
        description: 'Digits to play: 0-9, A-D, * and #, at most 64. Required.',
      }),
      'DTMF digits (0-9, A-D, *, #), at most 64',
    ),
    leg: Type.Optional(
      expecting(
        Type.Enum(['aleg', 'bleg'], {
          description: 'Leg that hears the digits. Default aleg; only aleg is supported.',
        }),
        'aleg or bleg',
      ),
    ),
  },
  { description: 'Send DTMF parameters.' },
);
export type DtmfBody = Static<typeof DtmfBody>;

export const DigitsSent = Type.Object(
  { api_id: Type.String(), message: Type.Literal('digits sent') },
  { description: 'The digits were handed to the call leg.' },
);
