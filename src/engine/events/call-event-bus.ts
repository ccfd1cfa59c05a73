/**
 * The one in-process bus of call events: synchronous, typed, one listener's exception logged and
 * isolated from the others and from the emitter. `emit` allocates nothing (the listener list is
 * copied when it changes, not when it is read).
 */
import type { Logger } from '../../ports/logger.js';
import type { CallEvent, CallEventListener, CallEventSink } from './call-events.js';

export class CallEventBus implements CallEventSink {
  readonly #log: Logger;
  #listeners: readonly CallEventListener[] = [];

  constructor(logger: Logger) {
    this.#log = logger.child({ component: 'call-events' });
  }

  /** Calls `listener` with every event from now on; returns the function that stops it. */
  subscribe(listener: CallEventListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  emit(event: CallEvent): void {
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]?.(event);
      } catch (err) {
        this.#log.error({ err, event: event.type, callUuid: event.callUuid }, 'call event listener threw');
      }
    }
  }
}
