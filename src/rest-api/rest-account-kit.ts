// What the REST API's account routes share (sign-up, passwordless sign-in, recovery: rest-*.routes.ts): the
// services, the sign-in steps, the code pointers, the route shape, and checking the code a pointer names.
import type { Context } from 'koa';
import type { Services } from '../services.js';
import { checkCode } from '../auth-methods/one-time-codes/code-check.js';
import type { Challenge } from '../auth-methods/one-time-codes/one-time-codes.js';
import type { CallingApp } from '../otp-api/app-credentials.js';
import type { Answer } from '../otp-api/idempotency.js';
import { errorAnswer } from '../otp-api/otp-answers.js';
import { codeRefusal } from '../otp-api/otp-sign-in.js';
import type { CodePointers, PointerScope } from './rest-code-pointers.js';
import type { IdempotentRoute } from './rest-idempotent-route.js';
import type { createRestSignIn } from './rest-sign-in.js';

export interface RestAccountKit {
  services: Services;
  signIn: ReturnType<typeof createRestSignIn>;
  pointers: CodePointers;
  /** every account route: the JSON body, the calling app, and an answer kept per Idempotency-Key when one is sent */
  idempotent: IdempotentRoute;
}

export const requestOf = (ctx: Context) => ({ ip: ctx.ip, userAgent: ctx.get('User-Agent') || null });
export const secondsUntil = (epochMs: number) => Math.max(1, Math.ceil((epochMs - Date.now()) / 1000));

/** the token answer with the signed-in user (the challenge envelope as it is) */
export async function withUser(services: Services, tenantId: string, answer: Answer, userId: string, created: boolean): Promise<Answer> {
  const body = answer.body as Record<string, unknown> | null;
  if (!body || typeof body.access_token !== 'string') return answer;
  const user = await services.users.findById(tenantId, userId);
  return { ...answer, body: { ...body, user: { id: userId, email: user?.email ?? null, phone: user?.phone ?? null, created } } };
}

/**
 * The live challenge of `purpose` the pointer of `scope` names, checked with `code` (attempt limits per code,
 * identifier and IP); otherwise the answer to give: otp.invalid_code, otp.expired or auth.rate_limited.
 */
export async function checkPointedCode(kit: RestAccountKit, ctx: Context, app: CallingApp, scope: PointerScope, code: string): Promise<{ ok: true; challenge: Challenge } | { ok: false; answer: Answer }> {
  const { services } = kit;
  const pointer = await kit.pointers.recall(scope);
  const challenge = pointer ? await services.codes.get(app.tenant.id, pointer.challengeId) : null;
  if (!challenge || challenge.purpose !== scope.purpose) return { ok: false, answer: errorAnswer('otp.expired') };
  const check = await checkCode(services, { tenant: app.tenant, challenge, typed: code, request: requestOf(ctx) });
  if (check.status === 'ok') return { ok: true, challenge: check.challenge };
  if (check.status === 'wrong') return { ok: false, answer: codeRefusal({ ok: false, error: 'wrong', attemptsLeft: check.attemptsLeft }) };
  if (check.status === 'rate_limited') return { ok: false, answer: codeRefusal({ ok: false, error: 'rate_limited', retryAfterSeconds: check.retryAfterSeconds }) };
  return { ok: false, answer: errorAnswer('otp.expired') };
}
