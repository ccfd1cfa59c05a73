/**
 * `dialMusic="real"`: a ringback tone for the caller while `<Dial>`'s parties ring, the North American
 * one (ITU-T E.180: 440 Hz + 480 Hz, 2 s on, 4 s off), synthesised at 8 kHz.
 */
import type { OutboundSource } from '../../call/call-session.js';
import { CALL_FRAME_MS, FRAME_SAMPLES } from '../../call/media-leg.types.js';

const RATE = 8000;
/** 440 and 480 Hz share a 40 Hz period: 200 samples hold a whole number of cycles of both. */
const PERIOD = RATE / 40;
const AMPLITUDE = 3000;
const ON_FRAMES = 2000 / CALL_FRAME_MS;
const CYCLE_FRAMES = 6000 / CALL_FRAME_MS;

const TABLE = (() => {
  const t = new Int16Array(PERIOD);
  for (let i = 0; i < PERIOD; i++) {
    const x = (2 * Math.PI * i) / RATE;
    t[i] = Math.round(AMPLITUDE * (Math.sin(440 * x) + Math.sin(480 * x)));
  }
  return t;
})();

export class RingbackTone implements OutboundSource {
  #frame = 0;
  #phase = 0;

  render(out: Int16Array): boolean {
    const inCycle = this.#frame % CYCLE_FRAMES;
    this.#frame++;
    if (inCycle >= ON_FRAMES) {
      return false;
    }
    let p = this.#phase;
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      out[i] = TABLE[p] ?? 0;
      p = p + 1 === PERIOD ? 0 : p + 1;
    }
    this.#phase = p;
    return true;
  }
}
