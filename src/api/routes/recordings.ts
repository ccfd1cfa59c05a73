/**
 * Call recording by REST and the Recording resource (issue 14 item 3):
 * `POST/DELETE …/Call/{uuid}/Record/` start and stop recording a live call through the
 * `RecordingCommands` port; `GET …/Recording/` lists (filters `call_uuid`, `add_time` and its
 * `__gt/__gte/__lt/__lte` forms, `limit`/`offset`), `GET …/Recording/{id}/` reads one,
 * `DELETE …/Recording/{id}/` removes its file and record, and `GET …/Recording/{id}.wav` serves the
 * audio — with the account's credentials like every route here, so `recording_url` is an
 * authenticated URL (clients fetch it with the same Basic auth as the API).
 * Plivo reference: https://www.plivo.com/docs/voice/api/call/record-calls and /docs/voice/api/recording/
 */
import type { Static } from 'typebox';

import { ServerError } from '../../errors/server-error.js';
import type { RecordingApiDeps } from '../../ports/recording-commands.js';
import type { ListRecordingsOptions, RecordingRecord } from '../../ports/recording-store.js';
import { plivoTime } from '../../protocol/plivo-time.js';
import { roundToBillingInterval } from '../plivo-objects.js';
import { Type } from 'typebox';
import { CallParams, NoContent, errorResponses } from '../schemas/common.js';
import {
  RecordStartBody,
  RecordStarted,
  RecordingDetail,
  RecordingList,
  RecordingListQuery,
  RecordingObject,
  RecordingParams,
  parseFilterTime,
} from '../schemas/recording.js';
import { toPlivoListMeta } from '../plivo-objects.js';
import {
  type ApiApp,
  type RefusalCodes,
  type ResourcePlugin,
  type RouteContext,
  accepted,
} from './context.js';
import { rejectOtherMethods } from './method-guard.js';

const tags = ['Recording'];

const RECORD_CODES: RefusalCodes = {
  'not-found': 'ERR_API_CALL_NOT_FOUND',
  'not-live': 'ERR_API_CALL_NOT_LIVE',
  refused: 'ERR_API_RECORDING_REFUSED',
  failed: 'ERR_API_RECORDING_REFUSED',
};

const DELETE_CODES: RefusalCodes = {
  'not-found': 'ERR_API_RECORDING_NOT_FOUND',
  'not-live': 'ERR_API_RECORDING_NOT_FOUND',
  refused: 'ERR_API_RECORDING_REFUSED',
  failed: 'ERR_API_RECORDING_REFUSED',
};

function recordingsOf(ctx: RouteContext): RecordingApiDeps {
  const r = ctx.deps.recordings;
  if (r === undefined) {
    throw new ServerError('ERR_API_NOT_FOUND', 'call recording is not configured on this server');
  }
  return r;
}

function notFound(): ServerError {
  return new ServerError('ERR_API_RECORDING_NOT_FOUND', 'recording not found');
}

async function toPlivoRecording(
  ctx: RouteContext,
  deps: RecordingApiDeps,
  r: RecordingRecord,
): Promise<Static<typeof RecordingObject>> {
  const call = await ctx.view.call(r.callUuid);
  const durationMs = r.durationMs ?? (r.state === 'recording' ? ctx.view.nowMs() - r.startedAt : 0);
  return {
    add_time: plivoTime(r.startedAt),
    call_uuid: r.callUuid,
    conference_name: null,
    from_number: call?.from ?? null,
    to_number: call?.to ?? null,
    recording_duration_ms: durationMs,
    recording_start_ms: r.startedAt,
    recording_end_ms: r.endedAt,
    recording_format: r.format,
    recording_id: r.recordingId,
    recording_url: deps.commands.urlOf(r.recordingId),
    rounded_recording_duration: roundToBillingInterval(Math.ceil(durationMs / 1000)),
    resource_uri: `/v1/Account/${ctx.deps.authId}/Recording/${r.recordingId}/`,
    recording_state: r.state,
    failure_reason: r.failureReason,
    recording_channels: r.channels,
    recording_source: r.source,
    file_size: r.sizeBytes,
  };
}

function registerCallRecord(app: ApiApp, ctx: RouteContext): void {
  app.post(
    '/Call/:call_uuid/Record/',
    {
      schema: {
        summary: 'Record a call',
        description:
          'Starts recording a live call to a WAV file (8 kHz PCM16): mono mixes both sides, stereo puts the caller on the left and what the caller heard on the right. 404 for an unknown call, 409 for one that has ended.',
        tags,
        params: CallParams,
        body: RecordStartBody,
        response: { 202: RecordStarted, ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const deps = recordingsOf(ctx);
      const body = request.body;
      const format = (body.file_format ?? 'wav').toLowerCase();
      if (format !== 'wav') {
        throw new ServerError(
          'ERR_API_INVALID_PARAM',
          format === 'mp3'
            ? "invalid 'file_format': mp3 is not supported (no maintained MP3 encoder ships with streamfork); use wav"
            : "invalid 'file_format': expected wav",
        );
      }
      const callbackUrl = body.callback_url;
      if (callbackUrl !== undefined && callbackUrl !== '' && !/^https?:\/\/\S+$/i.test(callbackUrl)) {
        throw new ServerError(
          'ERR_API_INVALID_PARAM',
          "invalid 'callback_url': expected an http:// or https:// URL",
        );
      }
      const result = accepted(
        await deps.commands.startRecording(request.params.call_uuid, {
          channels: body.channel === 'stereo' ? 2 : 1,
          timeLimitSec: body.time_limit ?? 60,
          fileFormat: 'wav',
          callbackUrl: callbackUrl === '' ? undefined : callbackUrl,
          callbackMethod: body.callback_method?.toUpperCase() === 'GET' ? 'GET' : 'POST',
        }),
        RECORD_CODES,
      );
      return reply.code(202).send({
        api_id: request.apiId,
        message: 'call recording started',
        recording_id: result.recordingId,
        url: result.url,
      });
    },
  );

  app.delete(
    '/Call/:call_uuid/Record/',
    {
      schema: {
        summary: 'Stop recording a call',
        description:
          'Stops every recording of the call started by this API; 204 even when none was running. Any body is ignored.',
        tags,
        params: CallParams,
        response: { 204: NoContent, ...errorResponses() },
      },
    },
    async (request, reply) => {
      accepted(await recordingsOf(ctx).commands.stopRecording(request.params.call_uuid), RECORD_CODES);
      return reply.code(204).send(null);
    },
  );
}

function listOptions(query: {
  limit?: number;
  offset?: number;
  call_uuid?: string;
  add_time?: string;
  add_time__gt?: string;
  add_time__gte?: string;
  add_time__lt?: string;
  add_time__lte?: string;
}): ListRecordingsOptions {
  const at = (s: string | undefined): number | undefined =>
    s === undefined ? undefined : parseFilterTime(s).ms;
  const exact = query.add_time === undefined ? undefined : parseFilterTime(query.add_time);
  const bounds: Record<string, number | undefined> = {
    startedAfter: at(query.add_time__gt),
    startedAtOrAfter: exact?.ms ?? at(query.add_time__gte),
    startedBefore: exact === undefined ? at(query.add_time__lt) : exact.ms + exact.unitMs,
    startedAtOrBefore: at(query.add_time__lte),
  };
  const defined = Object.fromEntries(Object.entries(bounds).filter(([, v]) => v !== undefined));
  return {
    limit: query.limit ?? 20,
    offset: query.offset ?? 0,
    ...(query.call_uuid === undefined ? {} : { callUuid: query.call_uuid }),
    ...defined,
  };
}

function registerRecordingReads(app: ApiApp, ctx: RouteContext): void {
  app.get(
    '/Recording/',
    {
      schema: {
        summary: 'List recordings',
        description: 'Newest first. Filters: call_uuid, add_time (and __gt, __gte, __lt, __lte; UTC).',
        tags,
        querystring: RecordingListQuery,
        response: { 200: RecordingList, ...errorResponses() },
      },
    },
    async (request) => {
      const deps = recordingsOf(ctx);
      const options = listOptions(request.query);
      const page = await deps.store.listRecordings(options);
      return {
        api_id: request.apiId,
        meta: toPlivoListMeta({
          total: page.total,
          limit: options.limit,
          offset: options.offset,
          path: `/v1/Account/${ctx.deps.authId}/Recording/`,
        }),
        objects: await Promise.all(page.items.map((r) => toPlivoRecording(ctx, deps, r))),
      };
    },
  );

  app.get(
    '/Recording/:recording_id/',
    {
      schema: {
        summary: 'Get a recording',
        tags,
        params: RecordingParams,
        response: { 200: RecordingDetail, ...errorResponses() },
      },
    },
    async (request) => {
      const deps = recordingsOf(ctx);
      const r = await deps.store.getRecording(request.params.recording_id);
      if (r === undefined) {
        throw notFound();
      }
      return { api_id: request.apiId, ...(await toPlivoRecording(ctx, deps, r)) };
    },
  );

  app.get(
    '/Recording/:recording_id.wav',
    {
      schema: {
        summary: 'Download a recording',
        description:
          'The WAV file of a completed or failed recording (audio/wav), with the account credentials. 404 while it is still recording, or when unknown.',
        tags,
        params: RecordingParams,
        response: { 200: WavFile, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const deps = recordingsOf(ctx);
      const r = await deps.store.getRecording(request.params.recording_id);
      if (r === undefined || r.state === 'recording') {
        throw notFound();
      }
      const file = await deps.files.read(`${r.recordingId}.wav`);
      if (file === undefined) {
        throw notFound();
      }
      return reply
        .code(200)
        .header('content-type', 'audio/wav')
        .header('content-length', String(file.sizeBytes))
        .send(file.body);
    },
  );

  app.delete(
    '/Recording/:recording_id/',
    {
      schema: {
        summary: 'Delete a recording',
        description:
          'Removes the file and the record (a running recording is stopped first). Any body is ignored.',
        tags,
        params: RecordingParams,
        response: { 204: NoContent, ...errorResponses() },
      },
    },
    async (request, reply) => {
      accepted(await recordingsOf(ctx).commands.deleteRecording(request.params.recording_id), DELETE_CODES);
      return reply.code(204).send(null);
    },
  );
}

/** The body of a recording download: the WAV bytes, sent as they are (not serialized). */
const WavFile = Type.Unsafe<unknown>({
  type: 'string',
  format: 'binary',
  description: 'The recording, audio/wav (RIFF, 16-bit PCM).',
});

export const recordingRoutes: ResourcePlugin = (app, ctx, done) => {
  registerCallRecord(app, ctx);
  registerRecordingReads(app, ctx);
  rejectOtherMethods(app, '/Call/:call_uuid/Record/', ['POST', 'DELETE']);
  rejectOtherMethods(app, '/Recording/', ['GET']);
  rejectOtherMethods(app, '/Recording/:recording_id/', ['GET', 'DELETE']);
  done();
};
