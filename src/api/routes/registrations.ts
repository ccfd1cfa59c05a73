/**
 * The Registration resource (issue 13, not a Plivo resource): the state of each outbound SIP
 * registration binding (`sip.registrations`), read through the {@link RegistrationStatus} port. It never
 * shows a password or a username; a server without SIP or without registrations lists none.
 */
import { Type } from 'typebox';

import { AccountParams, errorResponses } from '../schemas/common.js';
import type { ResourcePlugin } from './context.js';
import { rejectOtherMethods } from './method-guard.js';

const nullableString = (description: string) => Type.Union([Type.String(), Type.Null()], { description });
const nullableInt = (description: string) => Type.Union([Type.Integer(), Type.Null()], { description });

const RegistrationObject = Type.Object({
  id: Type.String({ description: 'Position of the binding in sip.registrations (0-based).' }),
  registrar: Type.String({ description: 'host:port of the registrar.' }),
  transport: Type.Union([Type.Literal('udp'), Type.Literal('tcp'), Type.Literal('tls')]),
  state: Type.String({
    description:
      'idle (not started), registering, registered, retrying (the last attempt failed; the next one is at next_attempt_at), unregistering, stopped.',
  }),
  expires_at: nullableString('When the binding runs out at the registrar (ISO 8601), while registered.'),
  granted_sec: nullableInt('The expiry the registrar granted last, seconds.'),
  next_attempt_at: nullableString('When the next REGISTER (refresh or retry) is sent (ISO 8601).'),
  failures: Type.Integer({ description: 'Failed attempts in a row since the last success.' }),
  last_error_status: nullableInt('SIP status of the last failure (408: timeout, 503: transport error).'),
  last_error_reason: nullableString('Reason of the last failure.'),
});

const RegistrationList = Type.Object({
  api_id: Type.String(),
  objects: Type.Array(RegistrationObject),
});

export const registrationRoutes: ResourcePlugin = (app, ctx, done) => {
  app.get(
    '/Registration/',
    {
      schema: {
        summary: 'List SIP registrations',
        description:
          'The state of each outbound SIP registration (config sip.registrations) on this node, in config order. Credentials are never shown.',
        tags: ['Registration'],
        params: AccountParams,
        response: { 200: RegistrationList, ...errorResponses() },
      },
    },
    (request) => ({
      api_id: request.apiId,
      objects: (ctx.deps.registrations?.registrations() ?? []).map((r) => ({
        id: r.id,
        registrar: r.registrar,
        transport: r.transport,
        state: r.state,
        expires_at: r.expiresAt,
        granted_sec: r.grantedSec,
        next_attempt_at: r.nextAttemptAt,
        failures: r.failures,
        last_error_status: r.lastErrorStatus,
        last_error_reason: r.lastErrorReason,
      })),
    }),
  );
  rejectOtherMethods(app, '/Registration/', ['GET']);
  done();
};
