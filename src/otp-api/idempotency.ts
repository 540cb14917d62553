// Safe retries (issue #16): a request with an `Idempotency-Key` is answered once; a retry with the same key and the
// same body gets that answer again byte for byte (no second message, no second token), the same key with another
// body gets 422 `idempotency.key_reused`, and a retry while the first is still running 409 `idempotency.in_progress`.
// One KvStore record per (app, route, key), named by a digest. The stored answer holds tokens, so it is sealed with
// a key derived from the request body itself (which carries the app secret and the code or refresh token): the store
// alone cannot open it. Answers of 5xx are not kept (the retry runs again).
// A refresh's answer is kept only seconds (`refreshAnswerSeconds`): its key is often derived from the refresh token
// (the SDK's is), so a longer life would let whoever holds a rotated token collect its successor with the same body
// and key long after, past rotation's replay detection (RFC 9700 §4.14.2). After that window the token goes to the
// token endpoint again, where a replay revokes the family.
import { createHmac } from 'node:crypto';
import type { Context } from 'koa';
import { createSealer, deriveSecret, digest } from '../crypto/sealing.js';
import { AppError } from '../errors/app-error.js';
import type { KvStore } from '../store/kv-store.js';

export interface Answer { status: number; body: unknown; retryAfterSeconds?: number }

interface Record_ { state: 'pending' | 'done'; fingerprint: string; sealed?: string }

const keySyntax = /^[\x21-\x7E]{1,255}$/;
/** how long the first request may run before a retry may run it again */
const pendingSeconds = 60;
/** how long a refresh's answer is repeated: the default refresh-token reuse interval (src/oidc/refresh-token-reuse.ts) */
export const refreshAnswerSeconds = 10;

export function createIdempotency(deps: { store: KvStore; secret: string; ttlSeconds?: number }) {
  const ttl = deps.ttlSeconds ?? 24 * 3600;
  const macKey = deriveSecret(deps.secret, 'idempotency v1');
  const mac = (text: string) => createHmac('sha256', macKey).update(text).digest('base64url');

  function write(ctx: Context, answer: Answer, text?: string) {
    ctx.status = answer.status;
    ctx.set('Cache-Control', 'no-store');
    if (answer.retryAfterSeconds) ctx.set('Retry-After', String(answer.retryAfterSeconds));
    if (answer.status === 204) return;
    ctx.type = 'application/json';
    ctx.body = text ?? JSON.stringify(answer.body);
  }

  return {
    /**
     * Answers the request with `run`'s answer, or with the stored one for a retry.
     * @param scope who and what: the app id and the route (a key is private to them)
     * @param bodyText the request body exactly as received
     * @param keepSeconds how long the answer is repeated (default: the store's 24 h; a refresh's `refreshAnswerSeconds`)
     * @throws AppError('idempotency.invalid_key' | 'idempotency.key_reused' | 'idempotency.in_progress')
     */
    async answer(ctx: Context, scope: string, bodyText: string, run: () => Promise<Answer>, keepSeconds = ttl): Promise<void> {
      const header = ctx.get('Idempotency-Key');
      if (!header) return write(ctx, await run());
      if (!keySyntax.test(header)) throw new AppError('idempotency.invalid_key');
      const key = `idem:${digest(`${scope}\0${header}`)}`;
      const fingerprint = mac(bodyText);
      const sealer = createSealer([mac(`seal\0${bodyText}`)]);

      if (await deps.store.setIfAbsent(key, JSON.stringify({ state: 'pending', fingerprint } satisfies Record_), pendingSeconds)) {
        let answer: Answer;
        try {
          answer = await run();
        } catch (error) {
          await deps.store.del([key]);
          throw error;
        }
        const text = answer.status === 204 ? '' : JSON.stringify(answer.body);
        if (answer.status >= 500) await deps.store.del([key]);
        else await deps.store.set(key, JSON.stringify({ state: 'done', fingerprint, sealed: sealer.seal(JSON.stringify({ ...answer, body: undefined, text }), key) } satisfies Record_), keepSeconds);
        return write(ctx, answer, text);
      }
      const raw = await deps.store.get(key);
      const record = raw ? (JSON.parse(raw) as Record_) : null;
      if (!record || record.state === 'pending') {
        if (record && record.fingerprint !== fingerprint) throw new AppError('idempotency.key_reused');
        throw new AppError('idempotency.in_progress');
      }
      if (record.fingerprint !== fingerprint) throw new AppError('idempotency.key_reused');
      const stored = JSON.parse(sealer.open(record.sealed!, key)) as Answer & { text: string };
      return write(ctx, stored, stored.text);
    },
  };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
