/**
 * The conformance kit's 16 kHz and reconnect scenarios and their checks (issue 16 item 5):
 * - `wideband`: a call on an `audio/x-l16;rate=16000` stream (the bot's own choice, or forced when its
 *   XML asks for another format, which only warns: such a bot never gets 16 kHz from Plivo); the bot's
 *   `playAudio` must be whole 16-bit samples at 16 kHz, never more than the buffer ahead of real time;
 * - `reconnect`: when the bot's `<Stream>` asks for `resumeTimeout`, the kit drops its socket 1.2 s into
 *   the call; the bot must accept the reconnect (the resumed `start`, same streamId) within the window
 *   and go on without a refused message. Without `resumeTimeout` the check is not applicable.
 */
import { type CheckResult, RULES } from './conformance.types.js';
import type { Script, Trace } from './scenario-run.js';

const WIDE = 'audio/x-l16;rate=16000';
/** Bytes of 16 kHz L16 per ms. */
const WIDE_BYTES_PER_MS = 32;
const FORMAT_CODES = new Set([
  'ERR_STREAM_FORMAT_MISMATCH',
  'ERR_STREAM_PARTIAL_SAMPLE',
  'ERR_STREAM_BAD_WAV',
]);

/** The two extra scripts: both speak `line` at 0.3 s; `reconnect` drops the socket 1.2 s into the stream. */
export function extraScripts(line: Int16Array): { readonly wideband: Script; readonly reconnect: Script } {
  return {
    wideband: { name: 'wideband', timelineMs: 4000, lines: [{ atMs: 300, audio: line }], contentType: WIDE },
    reconnect: {
      name: 'reconnect',
      timelineMs: 3000,
      lines: [{ atMs: 300, audio: line }],
      dropSocketAfterMs: 1200,
    },
  };
}

function result(
  rule: { id: string },
  scenario: string,
  status: CheckResult['status'],
  detail: string,
): CheckResult {
  return { rule: rule.id, scenario, status, detail };
}

/** WIDEBAND-16K on the `wideband` trace. */
export function widebandCheck(t: Trace, bufferMs: number): CheckResult {
  const name = t.script.name;
  const stream = t.result.streams[0];
  if (stream?.contentType !== WIDE) {
    return result(
      RULES.wideband,
      name,
      'fail',
      `no 16 kHz stream started (${stream?.contentType ?? 'none'})`,
    );
  }
  const forced = t.askedContentType !== WIDE;
  const note = forced ? ` (the bot's XML asks for ${t.askedContentType ?? '?'}; the kit played 16 kHz)` : '';
  const refused = t.appErrors.filter(
    (e) => FORMAT_CODES.has(e.code) || e.code === 'ERR_STREAM_PLAYOUT_OVERFLOW',
  );
  const plays = t.events.filter((e) => e.type === 'playAudio');
  let sentMs = 0;
  let aheadMs = 0;
  const first = plays[0]?.t ?? 0;
  for (const p of plays) {
    const bytes = p.detail?.['bytes'];
    sentMs += typeof bytes === 'number' ? bytes / WIDE_BYTES_PER_MS : 0;
    aheadMs = Math.max(aheadMs, sentMs - (p.t - first));
  }
  const problems: string[] = [];
  if (refused.length > 0) {
    const codes = [...new Set(refused.map((e) => e.code))].join(', ');
    problems.push(`${refused.length} playAudio refused (${codes}): does the bot follow start.mediaFormat?`);
  }
  if (aheadMs > bufferMs) {
    problems.push(`ran ${Math.round(aheadMs)} ms ahead of real time (buffer ${bufferMs} ms)`);
  }
  if (problems.length > 0) {
    return result(RULES.wideband, name, forced ? 'warn' : 'fail', problems.join('; ') + note);
  }
  if (plays.length === 0) {
    return result(RULES.wideband, name, 'warn', `the bot played nothing on the 16 kHz stream${note}`);
  }
  return result(
    RULES.wideband,
    name,
    'pass',
    `${plays.length} playAudio, ${Math.round(sentMs)} ms of 16 kHz audio in whole samples, at most ${Math.round(aheadMs)} ms ahead of real time${note}`,
  );
}

/** RECONNECT: not applicable without `resumeTimeout` (from the `basic` trace); else on the `reconnect` trace. */
export function reconnectCheck(basic: Trace, t: Trace | undefined): CheckResult {
  const timeoutSec = basic.resumeTimeoutSec;
  if (timeoutSec === 0 || t === undefined) {
    return result(
      RULES.reconnect,
      'reconnect',
      'skip',
      "not applicable: the bot's <Stream> asks for no resumeTimeout, so a dropped socket ends its stream (as on Plivo)",
    );
  }
  const dropped = t.droppedAtMs;
  if (dropped === undefined) {
    return result(RULES.reconnect, t.script.name, 'warn', 'the stream never got a socket the kit could drop');
  }
  const resumed = t.events.find((e) => e.type === 'resumed' && e.t >= dropped);
  const stream = t.result.streams[0];
  if (resumed === undefined) {
    const why = stream?.error ?? stream?.endReason ?? 'no resumed start';
    return result(
      RULES.reconnect,
      t.script.name,
      'fail',
      `the bot did not take the reconnect within ${timeoutSec} s of the drop at ${dropped} ms (${why})`,
    );
  }
  const after = t.appErrors.filter((e) => e.t >= dropped);
  if (after.length > 0 || stream?.status === 'failed') {
    const codes = [...new Set(after.map((e) => e.code))].join(', ');
    return result(
      RULES.reconnect,
      t.script.name,
      'fail',
      `resumed, then: stream ${stream?.status ?? '?'}${codes === '' ? '' : `; refused ${codes}`}`,
    );
  }
  const replayed = resumed.detail?.['replayed'];
  return result(
    RULES.reconnect,
    t.script.name,
    'pass',
    `resumed ${resumed.t - dropped} ms after the drop (window ${timeoutSec} s; same streamId ${stream?.streamId ?? '?'}, ${String(replayed)} messages replayed); nothing refused after`,
  );
}
