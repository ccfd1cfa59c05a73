/**
 * The Call resource (compatibility §9): create, get, list, hang up, transfer, send DTMF.
 * Plivo reference: https://www.plivo.com/docs/voice/api/call/
 */
import { ServerError } from '../../errors/server-error.js';
import type { DialRequest } from '../../ports/call-commands.js';
import { isLiveCallStatus } from '../../ports/call-store.js';
import { destinationKind, parseDestinationList, type DestinationList } from '../../protocol/destination.js';
import { invalidParam, missingParam } from '../error-handler.js';
import { toPlivoCall, toPlivoListMeta, toPlivoLiveCall } from '../plivo-objects.js';
import {
  CallCreateBody,
  CallCreated,
  CallGetQuery,
  CallGetResponse,
  CallListQuery,
  CallListResponse,
  CallTransferBody,
  CallTransferred,
  DigitsSent,
  DtmfBody,
  MAX_BULK_DESTINATIONS,
} from '../schemas/call.js';
import { AccountParams, CallParams, NoContent, errorResponses } from '../schemas/common.js';
import { upperMethod } from '../stream-spec.js';
import {
  type ApiApp,
  type RefusalCodes,
  type ResourcePlugin,
  type RouteContext,
  accepted,
  refusalError,
} from './context.js';
import { rejectOtherMethods } from './method-guard.js';

const tags = ['Call'];

/** Cause recorded for a call hung up through the API (Plivo: "Normal Hangup", source "API Request"). */
export const API_HANGUP_CAUSE = 'Normal Hangup';

/** A command on a call that is unknown or has ended answers 404 (Plivo). */
const CALL_CODES: RefusalCodes = {
  'not-found': 'ERR_API_CALL_NOT_FOUND',
  'not-live': 'ERR_API_CALL_NOT_FOUND',
  refused: 'ERR_API_CALL_NOT_FOUND',
  failed: 'ERR_API_DIAL_FAILED',
};

/** What a destination must be, in the words of the 400 answers. */
const DESTINATION_WORDS = 'a number (country code and number, digits with an optional +) or a sip:/sips: URI';

/** The 400 for a bad `to`; names the position, never the value (it may hold a SIP password). */
function badDestination(result: Extract<DestinationList, { ok: false }>, count: number): ServerError {
  if (result.reason === 'too-many') {
    return invalidParam('to', `at most ${MAX_BULK_DESTINATIONS} destinations joined by "<"`);
  }
  const what = result.reason === 'empty' ? 'is empty' : 'is not valid';
  const where = count === 1 ? 'the destination' : `destination ${result.position} of ${count}`;
  return new ServerError(
    'ERR_API_INVALID_PARAM',
    `invalid 'to': ${where} ${what}; expected ${DESTINATION_WORDS} (several joined by "<")`,
  );
}

/** The dial request for each destination of `to` (several joined by `<`); 400 for a bad `to` or `from`. */
export function dialRequests(body: CallCreateBody): DialRequest[] {
  const parsed = parseDestinationList(body.to, MAX_BULK_DESTINATIONS);
  if (!parsed.ok) {
    throw badDestination(parsed, body.to.split('<').length);
  }
  const destinations = parsed.destinations;
  const from = body.from.trim();
  if (from === '') {
    throw missingParam('from');
  }
  if (destinationKind(from) === undefined) {
    throw invalidParam('from', DESTINATION_WORDS);
  }
  const optional = {
    ...(body.hangup_url === undefined ? {} : { hangupUrl: body.hangup_url }),
    ...(body.hangup_method === undefined ? {} : { hangupMethod: upperMethod(body.hangup_method) ?? 'POST' }),
    ...(body.fallback_url === undefined ? {} : { fallbackUrl: body.fallback_url }),
    ...(body.fallback_method === undefined
      ? {}
      : { fallbackMethod: upperMethod(body.fallback_method) ?? 'POST' }),
    ...(body.time_limit === undefined ? {} : { timeLimitSec: body.time_limit }),
    ...(body.ring_timeout === undefined ? {} : { ringTimeoutSec: body.ring_timeout }),
  };
  return destinations.map((to) => ({
    from,
    to,
    answerUrl: body.answer_url,
    answerMethod: upperMethod(body.answer_method) ?? 'POST',
    ...optional,
  }));
}

function registerCreate(app: ApiApp, ctx: RouteContext): void {
  app.post(
    '/Call/',
    {
      schema: {
        summary: 'Make a call',
        description:
          'Places an outbound call per destination. Several destinations joined by "<" are dialled in order, one request each; ' +
          'the first that fails stops the rest: 201 with the request UUIDs fired so far, or the error when none was fired. ' +
          'A bad `to` or `from` answers 400 (naming the position of the bad destination) before anything is dialled. ' +
          'A node that is draining or at one of its limits (limits.maxCalls, maxStreams, maxEventLoopLagMs) answers 503 with Retry-After and dials nothing. ' +
          'Each accepted call has a record at once (`queued`); one that fails later (no trunk, rejected, not answered) ends with its status, hangup cause and code, in Get and List.',
        tags,
        params: AccountParams,
        body: CallCreateBody,
        response: { 201: CallCreated, ...errorResponses(503) },
      },
    },
    async (request, reply) => {
      const requests = dialRequests(request.body);
      const fired: string[] = [];
      for (const req of requests) {
        const result = await ctx.deps.commands.createCall(req);
        if (!result.ok) {
          const err = refusalError(result, CALL_CODES);
          if (fired.length === 0) {
            throw err;
          }
          ctx.deps.logger.warn(
            { code: err.code, fired: fired.length },
            'bulk call stopped at a failed destination',
          );
          break;
        }
        fired.push(result.requestUuid);
      }
      const single = requests.length === 1;
      return reply.code(201).send({
        api_id: request.apiId,
        message: single ? 'call fired' : 'calls fired',
        request_uuid: single ? (fired[0] ?? '') : fired,
      });
    },
  );
}

function registerReads(app: ApiApp, ctx: RouteContext): void {
  app.get(
    '/Call/:call_uuid/',
    {
      schema: {
        summary: 'Get a call',
        description:
          'The call detail record (live or ended; `error` says why a call failed). With ?status=live, the live-call shape, or 404 once the call has ended.',
        tags,
        params: CallParams,
        querystring: CallGetQuery,
        response: { 200: CallGetResponse, ...errorResponses() },
      },
    },
    async (request) => {
      const record = await ctx.view.call(request.params.call_uuid);
      if (record === undefined) {
        throw new ServerError('ERR_API_CALL_NOT_FOUND', 'call not found');
      }
      if (request.query.status === 'live') {
        if (!isLiveCallStatus(record.status)) {
          throw new ServerError('ERR_API_CALL_NOT_FOUND', 'call is not in progress');
        }
        return { api_id: request.apiId, ...toPlivoLiveCall(record) };
      }
      return {
        api_id: request.apiId,
        ...toPlivoCall(record, { authId: ctx.deps.authId, nowMs: ctx.view.nowMs() }),
      };
    },
  );

  app.get(
    '/Call/',
    {
      schema: {
        summary: 'List calls',
        description:
          'Completed calls, newest first, paged. With ?status=live, the UUIDs of live calls as `calls`.',
        tags,
        params: AccountParams,
        querystring: CallListQuery,
        response: { 200: CallListResponse, ...errorResponses() },
      },
    },
    async (request) => {
      if (request.query.status === 'live') {
        return { api_id: request.apiId, calls: await ctx.view.liveCallUuids() };
      }
      const limit = request.query.limit ?? 20;
      const offset = request.query.offset ?? 0;
      const page = await ctx.deps.store.listCalls({ status: 'completed', limit, offset });
      const authId = ctx.deps.authId;
      const nowMs = ctx.view.nowMs();
      return {
        api_id: request.apiId,
        meta: toPlivoListMeta({ total: page.total, limit, offset, path: `/v1/Account/${authId}/Call/` }),
        objects: page.items.map((c) => toPlivoCall(c, { authId, nowMs })),
      };
    },
  );
}

function registerControl(app: ApiApp, ctx: RouteContext): void {
  app.delete(
    '/Call/:call_uuid/',
    {
      schema: {
        summary: 'Hang up a call',
        description: '204 when hung up; 404 when the call is unknown or has ended. Any body is ignored.',
        tags,
        params: CallParams,
        response: { 204: NoContent, ...errorResponses() },
      },
    },
    async (request, reply) => {
      accepted(await ctx.deps.commands.hangup(request.params.call_uuid, API_HANGUP_CAUSE), CALL_CODES);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/Call/:call_uuid/',
    {
      schema: {
        summary: 'Transfer a call',
        description:
          'The A leg drops its current XML and runs the document at aleg_url. Only legs=aleg is supported.',
        tags,
        params: CallParams,
        body: CallTransferBody,
        response: { 202: CallTransferred, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { call_uuid: callUuid } = request.params;
      if ((request.body.legs ?? 'aleg') !== 'aleg') {
        throw new ServerError('ERR_API_UNSUPPORTED', 'only legs=aleg is supported');
      }
      const url = request.body.aleg_url;
      if (url === undefined) {
        throw missingParam('aleg_url');
      }
      const method = upperMethod(request.body.aleg_method) ?? 'POST';
      accepted(await ctx.deps.commands.transfer(callUuid, url, method), CALL_CODES);
      return reply
        .code(202)
        .send({ api_id: request.apiId, message: 'call transferred', call_uuids: [callUuid] });
    },
  );

  app.post(
    '/Call/:call_uuid/DTMF/',
    {
      schema: {
        summary: 'Send digits',
        description: 'Plays DTMF digits to the caller (RFC 4733 on SIP legs). Only leg=aleg is supported.',
        tags,
        params: CallParams,
        body: DtmfBody,
        response: { 202: DigitsSent, ...errorResponses() },
      },
    },
    async (request, reply) => {
      if ((request.body.leg ?? 'aleg') !== 'aleg') {
        throw new ServerError('ERR_API_UNSUPPORTED', 'only leg=aleg is supported');
      }
      const digits = request.body.digits.toUpperCase();
      accepted(await ctx.deps.commands.sendDtmf(request.params.call_uuid, digits), CALL_CODES);
      return reply.code(202).send({ api_id: request.apiId, message: 'digits sent' });
    },
  );
}

export const callRoutes: ResourcePlugin = (app, ctx, done) => {
  registerCreate(app, ctx);
  registerReads(app, ctx);
  registerControl(app, ctx);
  rejectOtherMethods(app, '/Call/', ['GET', 'POST']);
  rejectOtherMethods(app, '/Call/:call_uuid/', ['GET', 'POST', 'DELETE']);
  rejectOtherMethods(app, '/Call/:call_uuid/DTMF/', ['POST']);
  done();
};
