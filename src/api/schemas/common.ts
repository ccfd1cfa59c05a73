/**
 * Schema pieces shared by every resource. Schemas are TypeBox (plain JSON Schema): they drive request
 * validation (fastify's ajv, with type coercion so form bodies and `"true"`/`"false"` work), the
 * handlers' TypeScript types, response serialisation, and the generated OpenAPI document.
 *
 * `x-expected` is an annotation read by the error handler: the words that finish "invalid 'x':
 * expected …" when a value fails its schema.
 */
import { Type, type TSchema, type TString } from 'typebox';

/** Annotation keyword naming what a parameter must be; registered with ajv as an annotation. */
export const EXPECTED_KEYWORD = 'x-expected';

/** Adds the `x-expected` wording to a schema. */
export function expecting<T extends TSchema>(schema: T, expected: string): T {
  return Object.assign(schema, { [EXPECTED_KEYWORD]: expected });
}

/** GET or POST, case-insensitive (Ruby and .NET SDKs send lowercase; compatibility §2.3). */
export function httpMethodParam(description: string): TString {
  return expecting(
    Type.String({
      pattern: '^(?:[Gg][Ee][Tt]|[Pp][Oo][Ss][Tt])$',
      description: `${description} GET or POST, any case.`,
    }),
    'GET or POST',
  );
}

/** An absolute http:// or https:// URL. */
export function httpUrlParam(description: string): TString {
  return expecting(
    Type.String({ pattern: '^[Hh][Tt][Tt][Pp][Ss]?://\\S+$', description }),
    'an http:// or https:// URL',
  );
}

/** `{"api_id","error"}`: the body of every error answer (compatibility §8 "Errors", D13). */
export const ApiErrorBody = Type.Object(
  {
    api_id: Type.String({ description: 'A v4 UUID identifying this API response.' }),
    error: Type.String({ description: 'What went wrong, in words.' }),
  },
  { description: 'Error: `{"api_id","error"}`.' },
);

/** The error answers a route can give, for the OpenAPI document and serialisation. */
export function errorResponses(...statuses: readonly number[]): Record<number, TSchema> {
  const all = [400, 401, 404, 405, 413, 414, 415, 500, ...statuses];
  const out: Record<number, TSchema> = {};
  for (const status of [...new Set(all)].sort((a, b) => a - b)) {
    out[status] = ApiErrorBody;
  }
  return out;
}

/** Empty answer (204). */
export const NoContent = Type.Null({ description: 'Done; the body is empty.' });

const nullableString = (description: string): TSchema =>
  Type.Union([Type.String(), Type.Null()], { description });

/** `meta` of list answers, with both `total_count` (docs) and `count` (SDK fixtures), D13. */
export const ListMeta = Type.Object({
  count: Type.Integer({ description: 'Objects matching the query in total (same as total_count).' }),
  total_count: Type.Integer({ description: 'Objects matching the query in total.' }),
  limit: Type.Integer(),
  offset: Type.Integer(),
  next: nullableString('Path of the next page, or null.'),
  previous: nullableString('Path of the previous page, or null.'),
});

/** `limit` and `offset` query parameters (Plivo: limit 1–20, default 20). */
export const PageQuery = {
  limit: Type.Optional(
    expecting(
      Type.Integer({ minimum: 1, maximum: 20, default: 20, description: 'Page size, 1 to 20. Default 20.' }),
      'an integer from 1 to 20',
    ),
  ),
  offset: Type.Optional(
    expecting(
      Type.Integer({ minimum: 0, default: 0, description: 'Objects to skip. Default 0.' }),
      'an integer >= 0',
    ),
  ),
};

const authIdParam = Type.String({ description: 'Your auth ID; must be the authenticated account.' });
const callUuidParam = Type.String({ description: 'The call UUID.' });

export const AccountParams = Type.Object({ auth_id: authIdParam });
export const CallParams = Type.Object({ auth_id: authIdParam, call_uuid: callUuidParam });
export const StreamParams = Type.Object({
  auth_id: authIdParam,
  call_uuid: callUuidParam,
  stream_id: Type.String({ description: 'The stream ID returned by Stream start.' }),
});

export { nullableString };
