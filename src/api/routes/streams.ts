/**
 * The Stream resource (compatibility §8, D13): start, list, get one, stop one, stop all.
 * Plivo reference: https://www.plivo.com/docs/voice/api/stream/
 */
import { Type } from 'typebox';

import type { CallSession } from '../../engine/call/call-session.js';
import type { StreamFork } from '../../engine/fork/stream-fork.js';
import { callResourceUri, toPlivoListMeta, toPlivoStream } from '../../engine/records/plivo-objects.js';
import { ServerError } from '../../errors/server-error.js';
import { CallParams, NoContent, PageQuery, StreamParams, errorResponses } from '../schemas/common.js';
import {
  NO_ACTIVE_STREAM,
  StreamDetail,
  StreamList,
  StreamStartBody,
  StreamStarted,
} from '../schemas/stream.js';
import { streamSpecFromRest } from '../stream-spec.js';
import type { ApiApp, ResourcePlugin, RouteContext } from './context.js';
import { rejectOtherMethods } from './method-guard.js';

const tags = ['Stream'];

/** The reason recorded on a stream stopped through the API (Plivo CDR vocabulary). */
export const API_STOP_REASON = 'API request';

function callNotFound(): ServerError {
  return new ServerError('ERR_API_CALL_NOT_FOUND', 'call not found');
}

/** The live call, or 404 (unknown, or no longer in progress). */
function liveCall(ctx: RouteContext, callUuid: string): CallSession {
  const call = ctx.view.liveSession(callUuid);
  if (call === undefined) {
    throw ctx.view.call(callUuid) === undefined
      ? callNotFound()
      : new ServerError('ERR_API_CALL_NOT_FOUND', 'call is not in progress');
  }
  return call;
}

function knownCall(ctx: RouteContext, callUuid: string): void {
  if (ctx.view.call(callUuid) === undefined) {
    throw callNotFound();
  }
}

function startStream(call: CallSession, spec: ReturnType<typeof streamSpecFromRest>): StreamFork {
  try {
    return call.startStream(spec);
  } catch (err) {
    if (err instanceof ServerError && err.code === 'ERR_STATE_INVALID') {
      if (call.status !== 'in-progress') {
        throw new ServerError('ERR_API_CALL_NOT_FOUND', 'call is not in progress', { cause: err });
      }
      throw new ServerError('ERR_API_STREAM_REFUSED', err.message, { cause: err });
    }
    throw err;
  }
}

function registerStart(app: ApiApp, ctx: RouteContext): void {
  app.post(
    '/Call/:call_uuid/Stream/',
    {
      schema: {
        summary: 'Start a stream',
        description:
          "Forks the live call's audio to a WebSocket app. Streams started here never hold the call's XML.",
        tags,
        params: CallParams,
        body: StreamStartBody,
        response: { 202: StreamStarted, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const spec = streamSpecFromRest(request.body);
      const call = liveCall(ctx, request.params.call_uuid);
      const fork = startStream(call, spec);
      ctx.view.follow(fork);
      return reply
        .code(202)
        .send({ api_id: request.apiId, message: 'audio streaming started', stream_id: fork.streamId });
    },
  );
}

function registerReads(app: ApiApp, ctx: RouteContext): void {
  app.get(
    '/Call/:call_uuid/Stream/',
    {
      schema: {
        summary: 'List streams',
        description: "The call's streams (live and ended), oldest first.",
        tags,
        params: CallParams,
        querystring: Type.Object(PageQuery),
        response: { 200: StreamList, ...errorResponses() },
      },
    },
    (request) => {
      const { call_uuid: callUuid } = request.params;
      knownCall(ctx, callUuid);
      const limit = request.query.limit ?? 20;
      const offset = request.query.offset ?? 0;
      const all = ctx.view.streams(callUuid);
      const nowMs = ctx.view.nowMs();
      const authId = ctx.deps.authId;
      return {
        api_id: request.apiId,
        meta: toPlivoListMeta({
          total: all.length,
          limit,
          offset,
          path: `${callResourceUri(authId, callUuid)}Stream/`,
        }),
        objects: all.slice(offset, offset + limit).map((s) => toPlivoStream(s, { authId, nowMs })),
      };
    },
  );

  app.get(
    '/Call/:call_uuid/Stream/:stream_id/',
    {
      schema: {
        summary: 'Get a stream',
        tags,
        params: StreamParams,
        response: { 200: StreamDetail, ...errorResponses() },
      },
    },
    (request) => {
      const { call_uuid: callUuid, stream_id: streamId } = request.params;
      knownCall(ctx, callUuid);
      const stream = ctx.view.stream(callUuid, streamId);
      if (stream === undefined) {
        throw new ServerError('ERR_API_STREAM_NOT_FOUND', 'stream not found');
      }
      return {
        api_id: request.apiId,
        ...toPlivoStream(stream, { authId: ctx.deps.authId, nowMs: ctx.view.nowMs() }),
      };
    },
  );
}

function registerStops(app: ApiApp, ctx: RouteContext): void {
  app.delete(
    '/Call/:call_uuid/Stream/:stream_id/',
    {
      schema: {
        summary: 'Stop a stream',
        description: `204 when stopped; 400 "${NO_ACTIVE_STREAM}" when the stream has already ended, 404 when the call has no such stream. Any body is ignored.`,
        tags,
        params: StreamParams,
        response: { 204: NoContent, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { call_uuid: callUuid, stream_id: streamId } = request.params;
      knownCall(ctx, callUuid);
      const fork = ctx.view.liveSession(callUuid)?.liveStreams.find((f) => f.streamId === streamId);
      if (fork === undefined) {
        throw ctx.view.stream(callUuid, streamId) === undefined
          ? new ServerError('ERR_API_STREAM_NOT_FOUND', NO_ACTIVE_STREAM)
          : new ServerError('ERR_API_NO_ACTIVE_STREAM', NO_ACTIVE_STREAM);
      }
      fork.stop(API_STOP_REASON);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/Call/:call_uuid/Stream/',
    {
      schema: {
        summary: 'Stop all streams',
        description: 'Stops every live stream of the call; 204 even when none was live. Any body is ignored.',
        tags,
        params: CallParams,
        response: { 204: NoContent, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { call_uuid: callUuid } = request.params;
      knownCall(ctx, callUuid);
      for (const fork of ctx.view.liveSession(callUuid)?.liveStreams ?? []) {
        fork.stop(API_STOP_REASON);
      }
      return reply.code(204).send(null);
    },
  );
}

export const streamRoutes: ResourcePlugin = (app, ctx, done) => {
  registerStart(app, ctx);
  registerReads(app, ctx);
  registerStops(app, ctx);
  rejectOtherMethods(app, '/Call/:call_uuid/Stream/', ['GET', 'POST', 'DELETE']);
  rejectOtherMethods(app, '/Call/:call_uuid/Stream/:stream_id/', ['GET', 'DELETE']);
  done();
};
