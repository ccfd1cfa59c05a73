/**
 * SDP parsing (RFC 4566 §5) through sdp-transform, checked for what offer/answer needs: `v=0`, `o=`,
 * and a connection address for every active media stream (§5.7). Never throws.
 * https://www.rfc-editor.org/rfc/rfc4566#section-5
 */
import sdpTransform from 'sdp-transform';
import type { SessionDescription } from 'sdp-transform';

import { fail, ok, type ParseResult } from '../../errors/result.js';

/** Parses and sanity-checks an SDP body; `ERR_SDP_MALFORMED` when it is not usable SDP. */
export function parseSdp(text: string): ParseResult<SessionDescription> {
  if (!/^v=0\r?\n/.test(text)) {
    return fail({ code: 'ERR_SDP_MALFORMED', detail: 'SDP must start with v=0' });
  }
  let sdp: SessionDescription;
  try {
    sdp = sdpTransform.parse(text);
  } catch (e) {
    return fail({ code: 'ERR_SDP_MALFORMED', detail: `unparseable SDP: ${String(e)}` });
  }
  // sdp-transform's types claim these are always present; on bad input they are not.
  const loose = sdp as Partial<SessionDescription>;
  if (loose.origin === undefined || loose.media === undefined) {
    return fail({ code: 'ERR_SDP_MALFORMED', detail: 'missing o= line' });
  }
  for (const m of loose.media) {
    if (m.port > 0 && m.connection === undefined && loose.connection === undefined) {
      return fail({ code: 'ERR_SDP_MALFORMED', detail: `m=${m.type} has no c= line` });
    }
  }
  return ok(sdp);
}
