/**
 * How the server hands its inbound SIP calls to call control. The answer URL is fetched before the call
 * is answered (`screen`, while the caller hears ringing): a document that starts with `<PreAnswer>`
 * makes the call start in early media (183 with SDP; the flow sends the 200 when it leaves the
 * PreAnswer), any other document is answered at once as before. Either way the fetched document is the
 * flow's first, so the answer URL is requested once per call.
 */
import type { CallIdentity } from '../../engine/interpreter/call-params.js';
import type { AnswerConfig, CallControl, Prefetched } from '../call-control.js';
import type { InboundInvite, InboundScreening, SipServerSpec } from '../sip/sip-server.js';

/** What `screen` returns: the decision, with what `onInboundCall` needs to run the call. */
interface ScreenedCall extends InboundScreening {
  readonly identity: CallIdentity;
  readonly prefetched: Prefetched;
}

/** The SIP server's `screen` and `onInboundCall` for calls run by `control` with `answer`. */
export function inboundCallHandlers(
  control: CallControl,
  answer: AnswerConfig | undefined,
  identityOf: (info: InboundInvite) => CallIdentity,
): Pick<SipServerSpec, 'onInboundCall' | 'screen'> {
  return {
    screen: async (info) => {
      if (answer === undefined) {
        return { earlyMedia: false };
      }
      const identity = identityOf(info);
      const prefetched = await control.prefetch(identity, answer);
      const screened: ScreenedCall = { earlyMedia: prefetched.preAnswer, identity, prefetched };
      return screened;
    },
    onInboundCall: (call, info, setup) => {
      if (answer === undefined) {
        call.reportError('ERR_CALL_ANSWER_MISSING', 'no answer URL configured');
        call.hangup('Answer URL Missing', 'server');
        return;
      }
      // The screening is the object `screen` above returned.
      const screened = setup?.screening as ScreenedCall | undefined;
      control.run(call, screened?.identity ?? identityOf(info), answer, {
        ...(screened === undefined ? {} : { first: screened.prefetched.fetched }),
        ...(setup?.early === undefined ? {} : { early: setup.early }),
      });
    },
  };
}
