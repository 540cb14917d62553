// The OpenAPI 3.1 document of the Management API, generated from the registry: zod schemas become JSON Schema
// 2020-12 (OpenAPI 3.1's own dialect), each operation's scope becomes its OAuth 2.0 security requirement.
import { z } from 'zod';
import { errorSchema } from '../errors/error-reference.js';
import { managementScopes } from '../tenants/system-tenant.js';
import { systemSlug } from '../tenants/issuer.js';
import type { Operation } from './operation.js';
import { pathParams } from './operation.js';

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
}

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

function queryParameters(schema: z.ZodType | undefined): Json[] {
  if (!schema) return [];
  const object = jsonSchema(schema) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name, in: 'query', required: object.required?.includes(name) ?? false, schema: property,
  }));
}

function operationObject(operation: Operation): Json {
  const status = String(operation.status ?? 200);
  const isList = Boolean(operation.query && 'cursor' in ((jsonSchema(operation.query).properties as Json | undefined) ?? {}));
  const success = status === '204'
    ? { description: 'Done' }
    : { description: 'Done', content: operation.produces
      ? { [operation.produces]: { schema: { type: 'string' } } }
      : { 'application/json': { schema: isList ? { $ref: '#/components/schemas/Page' } : { type: 'object' } } } };
  const codes = operation.errors?.length ? ` Error codes: ${operation.errors.join(', ')}.` : '';
  return {
    operationId: operation.id,
    summary: operation.summary,
    description: `Needs the scope \`${operation.scope}\`.${operation.path.includes('{slug}') ? ` A write on the \`${systemSlug}\` tenant also needs \`operators:write\`.` : ''}${codes}`,
    tags: [operation.tag],
    security: [{ oauth2: [operation.scope] }],
    parameters: [
      ...pathParams(operation.path).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' }, ...(name === 'slug' ? { description: 'a tenant, or one of its environments as {tenant}~{environment} (issue #19)' } : {}) })),
      ...queryParameters(operation.query),
    ],
    ...(operation.body ? {
      requestBody: {
        required: true,
        content: { [operation.method === 'patch' && operation.tag === 'tenants' ? 'application/merge-patch+json' : 'application/json']: { schema: jsonSchema(operation.body) } },
      },
    } : {}),
    responses: {
      [status]: success,
      400: errorResponse('The request is not valid (`request.invalid` names each bad field)'),
      401: errorResponse('No valid access token (`auth.invalid_token`)'),
      403: errorResponse('A scope is missing (`auth.insufficient_scope`) or the tenant is not this operator\'s (`tenant.forbidden`)'),
      ...(pathParams(operation.path).length ? { 404: errorResponse('No such tenant or resource') } : {}),
      ...(operation.method === 'post' ? { 409: errorResponse('It exists already') } : {}),
      ...(operation.body ? { 415: errorResponse('The body is not JSON') } : {}),
    },
  };
}

/** @param extraPaths paths of other JSON APIs of the installation (the backend OTP API), with their own servers */
/** the tags the operations of paths served beside the Management API carry (backend OTP API, REST auth API) */
function extraTags(paths: Record<string, Json>): string[] {
  return Object.values(paths).flatMap((item) => Object.values(item).flatMap((op) => (op && typeof op === 'object' && Array.isArray((op as Json).tags) ? (op as { tags: string[] }).tags : [])));
}

export function openApiDocument(operations: readonly Operation[], publicUrl: URL, extraPaths: Record<string, Json> = {}): Json {
  const paths: Record<string, Json> = { ...extraPaths };
  for (const operation of operations) (paths[operation.path] ??= {})[operation.method] = operationObject(operation);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tessera Management API',
      version: '1',
      description: 'Manages tenants, users, clients, roles, APIs, sessions, keys and the audit log. Access tokens come from the '
        + `system tenant by client_credentials with resource=${publicUrl.origin}/api and the scopes each operation names.`,
    },
    servers: [{ url: `${publicUrl.origin}/api` }],
    tags: [...new Set([...operations.map((o) => o.tag), ...extraTags(extraPaths)])].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'an access token of the REST auth API' },
        oauth2: {
          type: 'oauth2',
          flows: {
            clientCredentials: {
              tokenUrl: `${publicUrl.origin}/t/${systemSlug}/token`,
              scopes: Object.fromEntries(managementScopes.map((scope) => [scope, scope === 'operators:write' ? 'changes the system tenant (operators)' : scope.replace(':', ' – ')])),
            },
          },
        },
      },
      schemas: {
        Error: errorSchema(),
        Page: {
          type: 'object',
          required: ['items', 'next_cursor'],
          properties: { items: { type: 'array', items: { type: 'object' } }, next_cursor: { type: ['string', 'null'], description: 'pass as ?cursor= for the next page; null on the last' } },
        },
      },
    },
  };
}
