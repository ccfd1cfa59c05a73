/**
 * RNNoise compiled to WebAssembly, from the npm package `@echogarden/rnnoise-wasm` (BSD-3-Clause,
 * RNNoise 0.2 with its default model; the choice against the other builds is in
 * docs/benchmarks/noise.md). The module is instantiated once per process, when this file is first
 * imported (top-level await: compose.ts imports it, so the server is not up before the wasm is), and
 * `rnnoiseRuntime()` hands the loaded runtime to the composition root, or throws
 * ERR_MEDIA_NOISE_WASM_UNAVAILABLE naming the package when it did not load.
 */
import type { RnnoiseWasmModule } from '@echogarden/rnnoise-wasm';
import { ServerError } from '../../errors/server-error.js';
import {
  RNNOISE_FRAME_SAMPLES,
  type RnnoiseRuntime,
  type RnnoiseState,
} from '../../media/noise/rnnoise.types.js';

/** The npm package the wasm comes from (named in startup errors). */
export const RNNOISE_PACKAGE = '@echogarden/rnnoise-wasm';

const FRAME_BYTES = RNNOISE_FRAME_SAMPLES * Float32Array.BYTES_PER_ELEMENT;

class WasmRnnoiseState implements RnnoiseState {
  readonly #module: RnnoiseWasmModule;
  readonly #owner: WasmRnnoiseRuntime;
  #state: number;
  readonly #buffer: number;
  #view: Float32Array;

  constructor(module: RnnoiseWasmModule, owner: WasmRnnoiseRuntime) {
    this.#module = module;
    this.#owner = owner;
    this.#buffer = module._malloc(FRAME_BYTES);
    this.#state = this.#buffer === 0 ? 0 : module._rnnoise_create(0);
    if (this.#state === 0) {
      if (this.#buffer !== 0) {
        module._free(this.#buffer);
      }
      throw new ServerError('ERR_MEDIA_NOISE_STATE', 'RNNoise: out of wasm memory for another state');
    }
    this.#view = this.#viewNow();
  }

  #viewNow(): Float32Array {
    return new Float32Array(this.#module.HEAPF32.buffer, this.#buffer, RNNOISE_FRAME_SAMPLES);
  }

  frame(): Float32Array {
    // A memory growth (another state's malloc) detaches the old buffer: its views read as empty.
    if (this.#view.length === 0) {
      this.#view = this.#viewNow();
    }
    return this.#view;
  }

  process(): number {
    if (this.#state === 0) {
      throw new TypeError('RNNoise state used after destroy()');
    }
    return this.#module._rnnoise_process_frame(this.#state, this.#buffer, this.#buffer);
  }

  destroy(): void {
    if (this.#state === 0) {
      return;
    }
    this.#module._rnnoise_destroy(this.#state);
    this.#module._free(this.#buffer);
    this.#state = 0;
    this.#owner.released();
  }
}

class WasmRnnoiseRuntime implements RnnoiseRuntime {
  readonly #module: RnnoiseWasmModule;
  #live = 0;

  constructor(module: RnnoiseWasmModule) {
    this.#module = module;
  }

  get liveStates(): number {
    return this.#live;
  }

  /** The wasm memory's size in bytes (tests: destroyed states give their memory back). */
  get memoryBytes(): number {
    return this.#module.HEAPF32.buffer.byteLength;
  }

  createState(): RnnoiseState {
    const state = new WasmRnnoiseState(this.#module, this);
    this.#live++;
    return state;
  }

  released(): void {
    this.#live--;
  }
}

/** What `import('@echogarden/rnnoise-wasm')` gives. */
type RnnoisePackage = typeof import('@echogarden/rnnoise-wasm');

/**
 * Loads and instantiates the wasm (`importPackage` stands in for the package import in tests). Rejects
 * with ERR_MEDIA_NOISE_WASM_UNAVAILABLE, naming the package and the cause, when anything fails.
 */
export async function loadRnnoiseRuntime(
  importPackage: () => Promise<RnnoisePackage> = () => import('@echogarden/rnnoise-wasm'),
): Promise<RnnoiseRuntime & { readonly memoryBytes: number }> {
  try {
    const { default: create } = await importPackage();
    const module = await create();
    const frameSize = module._rnnoise_get_frame_size();
    if (frameSize !== RNNOISE_FRAME_SAMPLES) {
      throw new Error(`frame size ${frameSize}, expected ${RNNOISE_FRAME_SAMPLES}`);
    }
    return new WasmRnnoiseRuntime(module);
  } catch (error) {
    throw rnnoiseLoadError(error);
  }
}

const loaded = await loadRnnoiseRuntime().then(
  (runtime) => ({ ok: true, runtime }) as const,
  (error: unknown) => ({ ok: false, error }) as const,
);

/**
 * The process's RNNoise runtime. Throws ServerError ERR_MEDIA_NOISE_WASM_UNAVAILABLE (naming the
 * package and the cause) when the wasm did not load; the composition root calls it at startup.
 */
export function rnnoiseRuntime(): RnnoiseRuntime & { readonly memoryBytes: number } {
  if (!loaded.ok) {
    throw loaded.error;
  }
  return loaded.runtime;
}

/** The startup error for a wasm that did not load. */
function rnnoiseLoadError(cause: unknown): ServerError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new ServerError(
    'ERR_MEDIA_NOISE_WASM_UNAVAILABLE',
    `noise cancellation: the RNNoise WebAssembly from the npm package ${RNNOISE_PACKAGE} did not load (${detail}); reinstall it with npm ci`,
    { cause },
  );
}
