// CSRF protection for the hosted forms. The token is an HMAC of the interaction uid under the cookie secret:
// only pages we rendered for this interaction carry it, and the interaction itself is bound to the browser by
// its SameSite cookie. A cross-origin Origin header is refused outright.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { AppError } from '../errors/app-error.js';

export function createCsrf(options: { secrets: readonly string[]; origin: string }) {
  const tokenFor = (secret: string, binding: string) => createHmac('sha256', secret).update(`csrf:${binding}`).digest('base64url');
  return {
    token: (binding: string) => tokenFor(options.secrets[0]!, binding),
    /** @throws AppError('request.csrf_failed') */
    verify(ctx: Context, binding: string, presented: unknown): void {
      const origin = ctx.get('Origin');
      if (origin && origin !== 'null' && origin !== options.origin) throw new AppError('request.csrf_failed');
      if (typeof presented !== 'string' || !presented) throw new AppError('request.csrf_failed');
      const given = Buffer.from(presented);
      const ok = options.secrets.some((secret) => {
        const expected = Buffer.from(tokenFor(secret, binding));
        return expected.length === given.length && timingSafeEqual(expected, given);
      });
      if (!ok) throw new AppError('request.csrf_failed');
    },
  };
}

export type Csrf = ReturnType<typeof createCsrf>;
