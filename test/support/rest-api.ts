// Calling the REST auth API ({issuer}/v1/…) from a test: JSON in, status and body out, and the one error shape.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { outbox } from './email-flows.js';

export interface RestTokens { access_token: string; refresh_token: string; token_type: string; access_expires_at: string; refresh_expires_at: string }
export interface RestEnvelope { status: 'challenge_required'; challenge: { id: string; kind: string; methods: string[]; expires_at: string } }

export function restApi(issuer: string) {
  /** `token` a Bearer access token, or null for none */
  const call = (method: string, path: string, token: string | null, body?: unknown) =>
    fetch(`${issuer}/v1/${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return {
    call,
    /** the JSON answer of a call that must answer `status` */
    async json<T = Record<string, unknown>>(response: Response | Promise<Response>, status = 200): Promise<T> {
      const answered = await response;
      const text = await answered.text();
      assert.equal(answered.status, status, text);
      return JSON.parse(text) as T;
    },
    /** a documented error: its status, its code, a message */
    async expectError(response: Response | Promise<Response>, status: number, error: string) {
      const answered = await response;
      const text = await answered.text();
      assert.equal(answered.status, status, text);
      const body = JSON.parse(text) as { error: string; message: string };
      assert.equal(body.error, error, text);
      assert.ok(body.message);
    },
    login: (user: { email: string; password: string }) => call('POST', 'auth/login', null, { email: user.email, password: user.password }),
  };
}

/** the code of the `nth` newest message to `to` in the tenant's outbox (the sandbox stands in for delivery) */
export async function outboxCode(issuer: string, to: string, count = 1): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const found = (await outbox(issuer)).filter((e) => e.to === to);
    if (found.length >= count && found[0]!.code) return found[0]!.code;
    await sleep(50);
  }
  assert.fail(`no code number ${count} for ${to}`);
}
