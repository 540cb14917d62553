// The REST API's routes that take an `Idempotency-Key` (refresh, otp, otp/verify; issue #16 "Retries are safe"):
// the backend OTP API's idempotency (otp-api/idempotency.ts), a key private to the calling app and the route. Errors
// of the catalogue are answers like any other, so a retry gets the same bytes; Retry-After is kept with them.
import type { Context } from 'koa';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import { readJsonText } from '../http/json-body.js';
import type { CallingApp } from '../otp-api/app-credentials.js';
import { createIdempotency, refreshAnswerSeconds, type Answer } from '../otp-api/idempotency.js';
import { answerInLanguage, errorAnswer } from '../otp-api/otp-answers.js';
import type { RestClients } from './rest-client.js';

export type RestHandler = (ctx: Context, app: CallingApp, body: Record<string, unknown>) => Promise<Answer>;

export function createIdempotentRoutes(services: Services, clients: RestClients) {
  const idempotency = createIdempotency({ store: services.store, secret: services.config.keyEncryptionKeys[0]! });

  return function idempotentRoute(route: string, handle: RestHandler) {
    return async (ctx: Context) => {
      const read = await readJsonText(ctx);
      if (!read || !read.value || typeof read.value !== 'object' || Array.isArray(read.value)) throw new AppError('request.invalid', 'Send a JSON object.');
      const body = read.value as Record<string, unknown>;
      const app = await clients.identify(ctx, ctx.state.tenant!, body);
      const handled = async (): Promise<Answer> => {
        try {
          return await handle(ctx, app, body);
        } catch (error) {
          if (!(error instanceof AppError) || error.status >= 500) throw error;
          const wait = Number(ctx.response.get('Retry-After'));
          return errorAnswer(error.code, error.message, Number.isFinite(wait) && wait > 0 ? wait : undefined);
        }
      };
      // a refusal in the caller's language (http/error-language.ts), stored so for a retry
      await idempotency.answer(ctx, `rest\0${app.appId}\0${route}`, read.text, async () => answerInLanguage(ctx, await handled(), ctx.state.tenant!.settings.texts), route === 'refresh' ? refreshAnswerSeconds : undefined);
    };
  };
}

export type IdempotentRoute = ReturnType<typeof createIdempotentRoutes>;
