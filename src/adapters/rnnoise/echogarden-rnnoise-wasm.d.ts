/**
 * The part of `@echogarden/rnnoise-wasm` (an Emscripten build of RNNoise; the package ships no types)
 * that rnnoise-wasm.ts uses: the module factory and the exported C functions of rnnoise.h.
 */
declare module '@echogarden/rnnoise-wasm' {
  export interface RnnoiseWasmModule {
    readonly HEAPF32: Float32Array;
    _rnnoise_get_frame_size(): number;
    /** `rnnoise_create(model)`: model 0 is the built-in one. Returns a state pointer. */
    _rnnoise_create(model: number): number;
    _rnnoise_destroy(state: number): void;
    /** `rnnoise_process_frame(state, out, in)`: returns the voice probability. */
    _rnnoise_process_frame(state: number, out: number, input: number): number;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
  }
  const createRnnoiseModule: (options?: object) => Promise<RnnoiseWasmModule>;
  export default createRnnoiseModule;
}
