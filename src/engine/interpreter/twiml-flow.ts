/**
 * Runs a TwiML document's verbs on the engine's existing element runners: a Twilio stream is a
 * `StreamSpec` with `dialect: 'twilio'` (`<Connect><Stream>` bidirectional and blocking until the stream
 * ends, `<Start><Stream>` forked and non-blocking), `<Say>` and `<Play>` are the `<Speak>` and `<Play>`
 * handlers (so they need the call's prompt media, as in Plivo XML), `<Pause>` waits, `<Stop><Stream>`
 * stops the call's Twilio streams of that name, `<Hangup>` and `<Redirect>` end or move the flow.
 */
import { parsePlivoXml } from '../../protocol/plivo-xml/parse.js';
import type { PlayNode, SpeakNode } from '../../protocol/plivo-xml/types.js';
import type { TwimlStream, TwimlTrack, TwimlVerb } from '../../protocol/twiml/parse.js';
import { ServerError } from '../../errors/server-error.js';
import type { StreamSpec } from '../fork/stream-fork.types.js';
import type { ElementContext, ElementOutcome, ElementRegistry } from './interpreter.types.js';
import { sleep, untilAborted } from './wait-for.js';

const CONTINUE: ElementOutcome = { next: 'continue' };

const AUDIO_TRACK: Readonly<Record<TwimlTrack, StreamSpec['audioTrack']>> = {
  inbound_track: 'inbound',
  outbound_track: 'outbound',
  both_tracks: 'both',
};

/** The `<Speak>` and `<Play>` nodes with every default the Plivo parser applies, to extend. */
function defaults(): { speak: SpeakNode; play: PlayNode } {
  const doc = parsePlivoXml(
    '<Response><Speak>x</Speak><Play>https://example.invalid/a.wav</Play></Response>',
  );
  if (!doc.ok) {
    throw new Error('the Plivo parser refused its own defaults document');
  }
  const [speak, play] = doc.value.response.children;
  if (speak?.element !== 'Speak' || play?.element !== 'Play') {
    throw new Error('unexpected defaults document');
  }
  return { speak, play };
}
const DEFAULTS = defaults();

/** Twilio's voices as the TTS port knows them: man → MAN, Polly voices as they are, the rest WOMAN. */
function voiceOf(voice: string | undefined): string {
  if (voice === undefined) {
    return DEFAULTS.speak.voice;
  }
  if (/^man$/i.test(voice)) {
    return 'MAN';
  }
  return /^Polly\.[A-Za-z][A-Za-z-]*$/.test(voice) ? voice : 'WOMAN';
}

/** The stream spec of a TwiML `<Stream>`. */
export function twilioStreamSpec(stream: TwimlStream, connect: boolean): StreamSpec {
  return {
    serviceUrl: stream.url,
    bidirectional: connect,
    audioTrack: AUDIO_TRACK[stream.track],
    streamTimeoutSec: 86400,
    statusCallbackUrl: stream.statusCallback,
    statusCallbackMethod: stream.statusCallbackMethod,
    contentType: 'audio/x-mulaw;rate=8000',
    keepCallAlive: connect,
    dialect: 'twilio',
    ...(stream.name === undefined ? {} : { name: stream.name }),
    customParameters: stream.parameters,
  };
}

async function runStream(
  verb: Extract<TwimlVerb, { verb: 'Connect' | 'Start' }>,
  ctx: ElementContext,
): Promise<ElementOutcome> {
  const connect = verb.verb === 'Connect';
  let fork;
  try {
    fork = ctx.call.startStream(twilioStreamSpec(verb.stream, connect));
  } catch (err) {
    const detail = err instanceof ServerError ? err.message : String(err);
    ctx.logger.warn({ path: verb.path, detail }, '<Stream> could not start; continuing with the next verb');
    return CONTINUE;
  }
  if (verb.verb === 'Connect') {
    await untilAborted(fork.ended, ctx.signal);
    if (verb.action !== undefined) {
      return { next: 'fetch', url: verb.action, method: verb.method };
    }
  }
  return CONTINUE;
}

/** Runs one verb. */
export async function runTwimlVerb(
  verb: TwimlVerb,
  ctx: ElementContext,
  registry: ElementRegistry,
): Promise<ElementOutcome> {
  switch (verb.verb) {
    case 'Connect':
    case 'Start':
      return runStream(verb, ctx);
    case 'Stop':
      for (const fork of ctx.call.liveStreams) {
        if (fork.spec.dialect === 'twilio' && (verb.name === undefined || fork.spec.name === verb.name)) {
          fork.stop('Stopped by <Stop><Stream>');
        }
      }
      return CONTINUE;
    case 'Say': {
      const lang = verb.language;
      return registry.Speak(
        {
          ...DEFAULTS.speak,
          path: verb.path,
          text: verb.text,
          voice: voiceOf(verb.voice),
          ...(lang !== undefined && /^[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{2,8})*$/.test(lang)
            ? { language: lang }
            : {}),
          loop: verb.loop,
        },
        ctx,
      );
    }
    case 'Play':
      return registry.Play({ ...DEFAULTS.play, path: verb.path, url: verb.url, loop: verb.loop }, ctx);
    case 'Pause':
      await sleep(ctx.timers, verb.lengthSec * 1000, ctx.signal);
      return CONTINUE;
    case 'Hangup':
      ctx.call.hangup('NORMAL_CLEARING', 'xml-hangup');
      return { next: 'hangup' };
    case 'Redirect':
      return { next: 'fetch', url: verb.url, method: verb.method };
  }
}
