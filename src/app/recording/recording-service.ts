/**
 * Call recording on the engine (issue 14 item 3): starts a `CallRecorder` on a live call, keeps its
 * record in the `RecordingStore` (`recording` at start, then `completed` or `failed` with the reason),
 * sends the recording's callback, and serves the REST commands (`RecordingCommands`) and the XML
 * interpreter's `<Record>` (`CallRecordings`).
 *
 * A recording's record is written when it starts, before any audio reaches the disk, and finished
 * once its file is closed; the end time is the start plus the frames written (the media clock's
 * length, not the wall clock's). A failed write never touches the call: the recorder stops, the
 * record says why, and the call gets a `call.error` (ERR_RECORDING_FAILED) on its record.
 */
import type { CallSession } from '../../engine/call/call-session.js';
import type { CallbackRequest } from '../../engine/callbacks/callback-delivery.js';
import {
  CallRecorder,
  FRAME_MS,
  RECORDING_RATE_HZ,
  type RecordingResult,
} from '../../engine/recording/call-recorder.js';
import { FRAME_SAMPLES } from '../../engine/call/media-leg.types.js';
import { WAV_HEADER_BYTES, wavHeader } from '../../media/wav-stream.js';
import {
  recordingParams,
  type CallRecordings,
  type FinishedRecording,
  type RecordOptions,
  type StartedRecording,
} from '../../engine/recording/call-recordings.js';
import type { CommandRefusal, CommandResult } from '../../ports/call-commands.js';
import type { CallStore } from '../../ports/call-store.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { Random } from '../../ports/random.js';
import type { RecordStartRequest, RecordingCommands } from '../../ports/recording-commands.js';
import type { RecordingFiles } from '../../ports/recording-files.js';
import {
  RECORDING_RESTART_REASON,
  type RecordingRecord,
  type RecordingStore,
} from '../../ports/recording-store.js';

export interface RecordingServiceDeps {
  readonly engine: {
    getCall(callUuid: string): CallSession | undefined;
    readonly callbacks: { send(lane: string, req: CallbackRequest): void };
  };
  readonly calls: Pick<CallStore, 'getCall'>;
  readonly store: RecordingStore;
  readonly files: RecordingFiles;
  readonly clock: Pick<Clock, 'epochMs'>;
  readonly random: Pick<Random, 'uuid'>;
  readonly logger: Logger;
  readonly accountId: string;
  /** The API's base URL (`http://host:port`), for `recording_url` and `RecordUrl`. */
  baseUrl(): string;
  /** Most bytes a recording may hold waiting for the disk before it fails. */
  readonly maxBufferedBytes?: number;
}

interface Running {
  readonly callUuid: string;
  readonly source: RecordOptions['source'];
  readonly started: StartedRecording;
}

function refused(reason: 'not-found' | 'not-live' | 'refused', message: string): CommandRefusal {
  return { ok: false, reason, message };
}

/** Whether the call has ended (read again after an await, where narrowing would keep the old value). */
function ended(call: CallSession): boolean {
  return call.closed;
}

/** The file name of a recording. */
export function recordingFileName(recordingId: string): string {
  return `${recordingId}.wav`;
}

export class RecordingService implements RecordingCommands, CallRecordings {
  readonly #deps: RecordingServiceDeps;
  readonly #running = new Map<string, Running>();
  readonly #pending = new Set<Promise<unknown>>();

  constructor(deps: RecordingServiceDeps) {
    this.#deps = deps;
  }

  urlOf(recordingId: string): string {
    return `${this.#deps.baseUrl()}/v1/Account/${this.#deps.accountId}/Recording/${recordingFileName(recordingId)}`;
  }

  /** Recordings running now. */
  get running(): number {
    return this.#running.size;
  }

  async record(call: CallSession, opts: RecordOptions): Promise<StartedRecording> {
    const { files, store, clock, random } = this.#deps;
    const recordingId = random.uuid();
    const file = await files.create(recordingFileName(recordingId));
    if (call.closed) {
      await file.close().catch(() => undefined);
      await files.remove(recordingFileName(recordingId)).catch(() => undefined);
      throw new Error('the call has ended');
    }
    const startMs = clock.epochMs();
    const url = this.urlOf(recordingId);
    const record: RecordingRecord = {
      recordingId,
      callUuid: call.callUuid,
      format: 'wav',
      channels: opts.channels,
      source: opts.source,
      state: 'recording',
      failureReason: null,
      startedAt: startMs,
      endedAt: null,
      durationMs: null,
      sizeBytes: null,
    };
    // A store that fails loses the record, never the recording (nor the process: no rejection left
    // unhandled while the recording runs).
    const inserted = store.insertRecording(record).catch((err: unknown) => {
      this.#deps.logger.error({ err, recordingId }, 'the recording record could not be written');
    });
    let finish!: (f: FinishedRecording) => void;
    const finished = new Promise<FinishedRecording>((resolve) => {
      finish = resolve;
    });
    const onEnded = (): void => {
      void recorder.stop('call-ended');
    };
    const recorder: CallRecorder = new CallRecorder({
      channels: opts.channels,
      file,
      ...(opts.maxFrames === undefined ? {} : { maxFrames: opts.maxFrames }),
      ...(opts.silenceFrames === undefined ? {} : { silenceFrames: opts.silenceFrames }),
      ...(this.#deps.maxBufferedBytes === undefined ? {} : { maxBufferedBytes: this.#deps.maxBufferedBytes }),
      onDone: (result) => {
        call.off('ended', onEnded);
        const done = this.#finish(call, record, url, opts, result, inserted).then(finish);
        this.#track(done);
      },
    });
    const started: StartedRecording = {
      recordingId,
      url,
      startMs,
      finished,
      stop: async (reason = 'stopped') => {
        await recorder.stop(reason);
        return finished;
      },
    };
    this.#running.set(recordingId, { callUuid: call.callUuid, source: opts.source, started });
    recorder.attach(call);
    call.on('ended', onEnded);
    // The audio is taken from now; the caller learns of the recording once its record is readable.
    await inserted;
    return started;
  }

  async startRecording(
    callUuid: string,
    req: RecordStartRequest,
  ): Promise<CommandResult<{ readonly recordingId: string; readonly url: string }>> {
    const call = this.#deps.engine.getCall(callUuid);
    if (call === undefined || call.closed) {
      return (call ?? (await this.#deps.calls.getCall(callUuid))) === undefined
        ? refused('not-found', 'call not found')
        : refused('not-live', 'call is not in progress');
    }
    try {
      const started = await this.record(call, {
        channels: req.channels,
        source: 'api',
        maxFrames: Math.round((req.timeLimitSec * 1000) / FRAME_MS),
        callbackUrl: req.callbackUrl,
        callbackMethod: req.callbackMethod,
      });
      return { ok: true, recordingId: started.recordingId, url: started.url };
    } catch (err) {
      this.#deps.logger.warn({ err, callUuid }, 'recording could not start');
      return ended(call)
        ? refused('not-live', 'call is not in progress')
        : {
            ok: false,
            reason: 'failed',
            code: 'ERR_API_RECORDING_REFUSED',
            message: `recording could not start: ${err instanceof Error ? err.message : String(err)}`,
          };
    }
  }

  async stopRecording(
    callUuid: string,
    recordingId?: string,
  ): Promise<CommandResult<{ readonly stopped: number }>> {
    const mine = [...this.#running.values()].filter(
      (r) =>
        r.callUuid === callUuid &&
        (recordingId === undefined ? r.source === 'api' : r.started.recordingId === recordingId),
    );
    if (
      mine.length === 0 &&
      this.#deps.engine.getCall(callUuid) === undefined &&
      (await this.#deps.calls.getCall(callUuid)) === undefined
    ) {
      return refused('not-found', 'call not found');
    }
    await Promise.all(mine.map((r) => r.started.stop('stopped')));
    return { ok: true, stopped: mine.length };
  }

  async deleteRecording(recordingId: string): Promise<CommandResult> {
    const running = this.#running.get(recordingId);
    if (running !== undefined) {
      await running.started.stop('stopped');
    }
    const record = await this.#deps.store.getRecording(recordingId);
    if (record === undefined) {
      return refused('not-found', 'recording not found');
    }
    await this.#deps.files.remove(recordingFileName(recordingId));
    await this.#deps.store.deleteRecording(recordingId);
    return { ok: true };
  }

  /**
   * Startup recovery of one node: every recording a stopped server left `recording` becomes `failed`
   * (`reason`), its file's header is rewritten with the sizes of the audio that reached the disk, and
   * its duration, end and size are those of that audio. Returns how many.
   */
  async recover(reason = RECORDING_RESTART_REASON): Promise<number> {
    const { store, files, logger } = this.#deps;
    let n = 0;
    for (;;) {
      const page = await store.listRecordings({ state: 'recording', limit: 100, offset: 0 });
      if (page.items.length === 0) {
        return n;
      }
      for (const r of page.items) {
        const bytesPerFrame = FRAME_SAMPLES * 2 * r.channels;
        let frames = 0;
        let sizeBytes = 0;
        try {
          const opened = await files.reopen(recordingFileName(r.recordingId));
          if (opened !== undefined) {
            frames = Math.max(0, Math.floor((opened.sizeBytes - WAV_HEADER_BYTES) / bytesPerFrame));
            sizeBytes = WAV_HEADER_BYTES + frames * bytesPerFrame;
            await opened.file.writeAt(0, wavHeader(r.channels, RECORDING_RATE_HZ, frames * bytesPerFrame));
            await opened.file.close();
          }
        } catch (err) {
          logger.warn(
            { err, recordingId: r.recordingId },
            'the file of an interrupted recording could not be repaired',
          );
        }
        const durationMs = frames * FRAME_MS;
        await store.updateRecording(r.recordingId, {
          state: 'failed',
          failureReason: reason,
          endedAt: r.startedAt + durationMs,
          durationMs,
          sizeBytes,
        });
        n++;
      }
    }
  }

  /** Resolves once every recording's record and callback have been handed on. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) {
      await Promise.all([...this.#pending]);
    }
  }

  /** Stops every running recording (shutdown); resolves once their records are final. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#running.values()].map((r) => r.started.stop('stopped')));
    await this.idle();
  }

  #track(p: Promise<unknown>): void {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  async #finish(
    call: CallSession,
    record: RecordingRecord,
    url: string,
    opts: RecordOptions,
    result: RecordingResult,
    inserted: Promise<void>,
  ): Promise<FinishedRecording> {
    const { store, logger } = this.#deps;
    this.#running.delete(record.recordingId);
    const endMs = record.startedAt + result.durationMs;
    const finished: FinishedRecording = {
      recordingId: record.recordingId,
      url,
      state: result.state,
      reason: result.reason,
      durationMs: result.durationMs,
      startMs: record.startedAt,
      endMs,
      ...(result.failureReason === undefined ? {} : { failureReason: result.failureReason }),
    };
    if (result.state === 'failed') {
      const message = `recording ${record.recordingId} failed: ${result.failureReason ?? 'unknown'}`;
      logger.warn({ callUuid: record.callUuid, recordingId: record.recordingId }, message);
      if (!call.closed) {
        call.reportError('ERR_RECORDING_FAILED', message);
      }
    }
    try {
      await inserted;
      await store.updateRecording(record.recordingId, {
        state: result.state,
        failureReason: result.failureReason ?? null,
        endedAt: endMs,
        durationMs: result.durationMs,
        sizeBytes: result.sizeBytes,
      });
    } catch (err) {
      logger.error({ err, recordingId: record.recordingId }, 'the recording record could not be written');
    }
    if (opts.callbackUrl !== undefined) {
      this.#deps.engine.callbacks.send(`recording:${record.recordingId}`, {
        url: opts.callbackUrl,
        method: opts.callbackMethod ?? 'POST',
        params: [['CallUUID', record.callUuid], ...recordingParams(finished)],
      });
    }
    return finished;
  }
}
