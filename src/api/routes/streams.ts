/**
 * The Stream resource (compatibility §8, D13): start, list, get one, stop one, stop all.
 * Plivo reference: https://www.plivo.com/docs/voice/api/stream/
 */
import { Type } from 'typebox';

import { ServerError } from '../../errors/server-error.js';
import { callResourceUri, toPlivoListMeta, toPlivoStream } from '../plivo-objects.js';
import { CallParams, NoContent, PageQuery, StreamParams, errorResponses } from '../schemas/common.js';
import {
  NO_ACTIVE_STREAM,
  StreamDetail,
  StreamList,
  StreamStartBody,
  StreamStarted,
} from '../schemas/stream.js';
import { streamSpecFromRest } from '../stream-spec.js';
import {
  type ApiApp,
  type RefusalCodes,
  type ResourcePlugin,
  type RouteContext,
  accepted,
} from './context.js';
import { rejectOtherMethods } from './method-guard.js';

const tags = ['Stream'];

/** The reason recorded on a stream stopped through the API (Plivo CDR vocabulary). */
export const API_STOP_REASON = 'API request';

function callNotFound(): ServerError {
  return new ServerError('ERR_API_CALL_NOT_FOUND', 'call not found');
}

/** What a refused stream command answers: an ended call is 404 like an unknown one (Plivo). */
const STREAM_CODES: RefusalCodes = {
  'not-found': 'ERR_API_CALL_NOT_FOUND',
  'not-live': 'ERR_API_CALL_NOT_FOUND',
  refused: 'ERR_API_STREAM_REFUSED',
  failed: 'ERR_API_STREAM_REFUSED',
};

/** Stop one stream: an ended stream is 400 "no active stream", a stream the call never had 404. */
const STOP_CODES: RefusalCodes = {
  'not-found': 'ERR_API_STREAM_NOT_FOUND',
  'not-live': 'ERR_API_NO_ACTIVE_STREAM',
  refused: 'ERR_API_NO_ACTIVE_STREAM',
  failed: 'ERR_API_NO_ACTIVE_STREAM',
};

async function knownCall(ctx: RouteContext, callUuid: string): Promise<void> {
  if ((await ctx.view.call(callUuid)) === undefined) {
    throw callNotFound();
  }
}

function registerStart(app: ApiApp, ctx: RouteContext): void {
  app.post(
    '/Call/:call_uuid/Stream/',
    {
      schema: {
        summary: 'Start a stream',
        description:
          "Forks the live call's audio to a WebSocket app. Streams started here never hold the call's XML. " +
          'A node that is draining or at limits.maxStreams or limits.maxEventLoopLagMs answers 503 with Retry-After.',
        tags,
        params: CallParams,
        body: StreamStartBody,
        response: { 202: StreamStarted, ...errorResponses(503) },
      },
    },
    async (request, reply) => {
      const spec = streamSpecFromRest(request.body);
      const { streamId } = accepted(
        await ctx.deps.commands.startStream(request.params.call_uuid, spec),
        STREAM_CODES,
      );
      return reply
        .code(202)
        .send({ api_id: request.apiId, message: 'audio streaming started', stream_id: streamId });
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
    async (request) => {
      const { call_uuid: callUuid } = request.params;
      await knownCall(ctx, callUuid);
      const limit = request.query.limit ?? 20;
      const offset = request.query.offset ?? 0;
      const all = await ctx.view.streams(callUuid);
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
    async (request) => {
      const { call_uuid: callUuid, stream_id: streamId } = request.params;
      await knownCall(ctx, callUuid);
      const stream = await ctx.view.stream(callUuid, streamId);
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
      await knownCall(ctx, callUuid);
      const result = await ctx.deps.commands.stopStream(callUuid, streamId, API_STOP_REASON);
      // Plivo words both answers the same way.
      accepted(result.ok ? result : { ...result, message: NO_ACTIVE_STREAM }, STOP_CODES);
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
      await knownCall(ctx, callUuid);
      accepted(await ctx.deps.commands.stopAllStreams(callUuid, API_STOP_REASON), STREAM_CODES);
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
