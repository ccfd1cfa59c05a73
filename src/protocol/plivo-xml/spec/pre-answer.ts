import type { ElementSpec } from './types.js';

/**
 * `<PreAnswer>`: early media. Its prompts play to the caller before the call is answered (SIP: 183
 * Session Progress with the SDP answer, then the 200 OK when the rest of the document runs).
 * https://www.plivo.com/docs/voice/xml/preanswer
 *
 * Plivo also nests `<Redirect>` and `<Message>` here; this server runs neither in early media
 * (`<Message>` is not supported anywhere, a redirect out of early media has no defined answer point),
 * so both are refused as children (D9).
 */
export const preAnswerSpec = {
  name: 'PreAnswer',
  doc:
    'Plays its nested Speak, Play and Wait prompts (and runs GetDigits and DTMF) as early media, before ' +
    'the call is answered; the call is answered when the next element runs. It must be the first ' +
    'element of the document, and a document has at most one. On an inbound SIP call the server fetches ' +
    'the answer URL before answering (the caller hears ringing meanwhile); when the document starts with ' +
    'PreAnswer it sends 183 Session Progress with the SDP answer (no 100rel/PRACK), plays the prompts on ' +
    'the negotiated RTP, then sends the 200 OK with the same SDP. The record is ringing until then, and ' +
    'answer_time is the 200. A Hangup right after PreAnswer (or the end of the document) rejects the call ' +
    'instead (486 for reason="busy", 603 for "rejected", else 480); a CANCEL meanwhile gets 487 and the ' +
    'call ends canceled (ORIGINATOR_CANCEL). A delayed-offer INVITE (no SDP), an outbound or a virtual ' +
    'call is already answered: PreAnswer just plays. Requests made before the answer (the answer URL, ' +
    'a GetDigits action) say CallStatus=in-progress, as the answer request always did. Plivo also nests ' +
    'Redirect and Message here; this server refuses both.',
  attributes: {},
  children: ['Speak', 'Play', 'Wait', 'GetDigits', 'DTMF'],
  first: true,
} as const satisfies ElementSpec;
