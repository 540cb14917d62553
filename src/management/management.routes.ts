// /api/…: the Management API over HTTP. Every route comes from the registry: bearer token, then the checks and
// handler of run-operation.ts; bodies are JSON only and small.
import { Readable } from 'node:stream';
import Router from '@koa/router';
import compose from 'koa-compose';
import type { Context, Middleware } from 'koa';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import { createBearerAuth, InvalidToken } from './bearer-auth.js';
import { isStreamed, type Operation, type Principal } from './operation.js';
import { operations } from './operations/index.js';
import { openApiDocument } from './openapi.js';
import { readJsonBody } from '../http/json-body.js';
import { otpApiPaths } from '../otp-api/otp-api.openapi.js';
import { licensesApiPaths } from '../licenses/licenses.openapi.js';
import { restApiPaths } from '../rest-api/rest-api.openapi.js';
import { rest2faPaths } from '../rest-api/rest-2fa.openapi.js';
import { runOperation } from './run-operation.js';

export const managementPrefix = '/api';
const realm = 'realm="Tessera Management API"';
const readBody = (ctx: Context) => readJsonBody(ctx, ['application/json', 'application/merge-patch+json']);

/** the API's routes, 405 for a known path with another method included */
export function managementRoutes(services: Services): Middleware {
  const router = new Router({ prefix: managementPrefix });
  const bearer = createBearerAuth(services);
  let document: Record<string, unknown> | undefined;

  router.get('/openapi.json', (ctx) => {
    document ??= openApiDocument(operations, services.config.publicUrl, { ...otpApiPaths(services.config.publicUrl), ...restApiPaths(services.config.publicUrl), ...rest2faPaths(services.config.publicUrl), ...licensesApiPaths(services.config.publicUrl) });
    ctx.body = document;
  });

  async function authenticate(ctx: Context): Promise<Principal> {
    try {
      return await bearer.authenticate(ctx.get('authorization') || undefined);
    } catch (error) {
      // RFC 6750 §3.1: no error code when the request carried no credentials at all
      if (error instanceof InvalidToken) ctx.set('WWW-Authenticate', error.presented ? `Bearer ${realm}, error="invalid_token"` : `Bearer ${realm}`);
      throw error;
    }
  }

  function route(operation: Operation) {
    return async (ctx: Context) => {
      ctx.set('Cache-Control', 'no-store');
      const principal = await authenticate(ctx);
      const body = operation.body ? await readBody(ctx) : undefined;
      let result: unknown;
      try {
        result = await runOperation(services, operation, { params: ctx.params as Record<string, string>, query: ctx.query, body }, principal, {
          ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined,
        });
      } catch (error) {
        if (error instanceof AppError && error.code === 'auth.insufficient_scope') {
          ctx.set('WWW-Authenticate', `Bearer ${realm}, error="insufficient_scope", scope="${operation.scope}"`);
        }
        throw error;
      }
      ctx.status = operation.status ?? 200;
      if (isStreamed(result)) {
        ctx.type = result.contentType;
        ctx.body = Readable.from(result.stream);
      } else if (ctx.status !== 204) {
        ctx.body = result;
      }
    };
  }

  for (const operation of operations) {
    router[operation.method](operation.path.replace(/\{(\w+)\}/g, ':$1'), route(operation));
  }
  return compose([router.routes(), router.allowedMethods()]) as Middleware;
}
