/** Config keys of the answer webhook's dialect (issue 16 item 1, docs/twilio.md). */
import { Type } from 'typebox';

/** `answer.webhookDialect`: how answerUrl is requested and signed. */
export const webhookDialect = Type.Union([Type.Literal('plivo'), Type.Literal('twilio')], {
  default: 'plivo',
  description:
    "How answerUrl is requested: Plivo's parameters signed X-Plivo-Signature-V3, or Twilio's (CallSid, AccountSid, …) signed X-Twilio-Signature; later requests follow the dialect of the document that made them (docs/twilio.md).",
});
