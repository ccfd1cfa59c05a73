/** Time as seen by the engine. Adapters: `adapters/system-clock`; tests: `test/fakes/fake-clock`. */
export interface Clock {
  /** Monotonic milliseconds (fractional allowed); never jumps with wall-clock changes. */
  monotonicMs(): number;
  /** Wall-clock epoch milliseconds, used only for labels such as timestamps in records. */
  epochMs(): number;
}

/** A cancellable one-shot timer. */
export interface TimerHandle {
  cancel(): void;
}

/** Schedules callbacks; the only way the engine waits for time to pass. */
export interface Timers {
  /** Calls `fn` once after `delayMs` milliseconds. */
  after(delayMs: number, fn: () => void): TimerHandle;
}
