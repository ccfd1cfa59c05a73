/**
 * The console's listen-in tap on the engine's calls (`CallAudioTap`). A call with no listener has no
 * tap at all (`CallSession.addTap`'s list stays empty: one null check per frame); the first listener installs
 * one fan-out function, the last one to leave removes it. Listeners must be cheap and must not keep
 * the frame array (it is the call's own buffer): the console's socket encodes and sends, or drops.
 */
import type { AudioTapListener, CallAudioTap, TapTrack } from '../../ports/call-event-feed.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { CallSession } from '../../engine/call/call-session.js';

export interface EngineAudioTapDeps {
  readonly engine: { getCall(callUuid: string): CallSession | undefined };
  readonly clock: Pick<Clock, 'epochMs'>;
  readonly logger: Logger;
}

export class EngineAudioTap implements CallAudioTap {
  readonly #deps: EngineAudioTapDeps;
  readonly #listening = new Map<string, Set<AudioTapListener>>();
  /** Removes each tapped call's fan-out tap (what `CallSession.addTap` returned). */
  readonly #untap = new Map<string, () => void>();
  /** Calls whose end this tap already watches (a call tapped, untapped and tapped again). */
  readonly #watched = new WeakSet<CallSession>();

  constructor(deps: EngineAudioTapDeps) {
    this.#deps = deps;
  }

  /** Calls being listened to now. */
  get tappedCalls(): number {
    return this.#listening.size;
  }

  listen(callUuid: string, listener: AudioTapListener): (() => void) | undefined {
    const call = this.#deps.engine.getCall(callUuid);
    if (call === undefined || call.closed) {
      return undefined;
    }
    const listeners = this.#listening.get(callUuid) ?? this.#install(call);
    listeners.add(listener);
    return () => {
      this.#remove(call, listener);
    };
  }

  #install(call: CallSession): Set<AudioTapListener> {
    const listeners = new Set<AudioTapListener>();
    this.#listening.set(call.callUuid, listeners);
    const { clock, logger } = this.#deps;
    const remove = call.addTap((track: TapTrack, pcm: Int16Array) => {
      const atMs = clock.epochMs();
      for (const l of listeners) {
        try {
          l.frame(track, pcm, atMs);
        } catch (err) {
          // A broken listener must never reach the call's media path.
          logger.error({ err, callUuid: call.callUuid }, 'listen-in listener threw; removed');
          listeners.delete(l);
        }
      }
    });
    this.#untap.set(call.callUuid, remove);
    if (!this.#watched.has(call)) {
      this.#watched.add(call);
      call.on('ended', () => {
        this.#ended(call);
      });
    }
    return listeners;
  }

  #ended(call: CallSession): void {
    const listeners = this.#listening.get(call.callUuid);
    this.#untapCall(call);
    for (const l of listeners ?? []) {
      l.ended();
    }
  }

  #remove(call: CallSession, listener: AudioTapListener): void {
    const listeners = this.#listening.get(call.callUuid);
    if (listeners === undefined) {
      return;
    }
    listeners.delete(listener);
    if (listeners.size === 0) {
      this.#untapCall(call);
    }
  }

  #untapCall(call: CallSession): void {
    this.#untap.get(call.callUuid)?.();
    this.#untap.delete(call.callUuid);
    this.#listening.delete(call.callUuid);
  }
}
