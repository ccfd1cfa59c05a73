/**
 * A minimal typed event emitter whose `emit` isolates listener exceptions (mediasoup's safeEmit):
 * one observer's bug never breaks the media path or another observer.
 */
type Listener = (...args: never[]) => void;

export class TypedEmitter<Events extends { [K in keyof Events]: Listener }> {
  readonly #listeners = new Map<keyof Events, Set<Listener>>();
  #onListenerError: ((err: unknown) => void) | undefined;

  /** Where listener exceptions go (default: swallowed). */
  set onListenerError(fn: (err: unknown) => void) {
    this.#onListenerError = fn;
  }

  on<E extends keyof Events>(event: E, listener: Events[E]): void {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
  }

  off<E extends keyof Events>(event: E, listener: Events[E]): void {
    this.#listeners.get(event)?.delete(listener);
  }

  protected emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    const set = this.#listeners.get(event);
    if (set === undefined) {
      return;
    }
    for (const listener of set) {
      try {
        (listener as (...a: Parameters<Events[E]>) => void)(...args);
      } catch (err) {
        this.#onListenerError?.(err);
      }
    }
  }
}
