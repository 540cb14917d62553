// Hostile input on the REST auth API's 2FA surface and the OTP API's challenge (issue #16 §3): malformed and hostile
// JSON bodies, hostile values in every field (nesting past any stack, NUL, out-of-range numbers), and hostile path
// segments for challenge ids and methods. Every answer is a 4xx `{error, message}` from the catalogue, never a 5xx.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { assertSafe, call, hostileJsonValues } from '../support/bad-input.js';
import { cliJson, createTenant, createUser } from '../support/fixtures.js';
import { restApi, type RestTokens } from '../support/rest-api.js';
import { useTessera } from '../support/use-tessera.js';

/** each endpoint with a body that is otherwise well-formed, so each field's hostile value gets past the others */
const endpoints: Array<{ method: string; path: string; body: Record<string, unknown> }> = [
  { method: 'POST', path: 'auth/2fa/sms/setup', body: { phone: '+447911123456' } },
  { method: 'POST', path: 'auth/2fa/sms/verify', body: { factor_id: 'x', code: '123456' } },
  { method: 'POST', path: 'auth/2fa/totp/setup', body: { challenge_id: 'AAAAAAAAAAAAAAAAAAAAAA', client_id: 'x', client_secret: 'y' } },
  { method: 'POST', path: 'auth/2fa/webauthn/register', body: {} },
  { method: 'POST', path: 'auth/2fa/webauthn/register/finish', body: { registration_id: 'AAAAAAAAAAAAAAAAAAAAAA', credential: { id: 'a', rawId: 'a', type: 'public-key', response: { clientDataJSON: 'a', attestationObject: 'a' } }, name: 'n' } },
  { method: 'POST', path: 'auth/passkey/options', body: { client_id: 'x' } },
  { method: 'POST', path: 'auth/passkey/verify', body: { request_id: 'AAAAAAAAAAAAAAAAAAAAAA', credential: { id: 'a', rawId: 'a', type: 'public-key', response: { clientDataJSON: 'a', authenticatorData: 'a', signature: 'a' } } } },
  { method: 'POST', path: 'auth/challenge/AAAAAAAAAAAAAAAAAAAAAA/send', body: { method: 'sms' } },
  { method: 'POST', path: 'auth/challenge/AAAAAAAAAAAAAAAAAAAAAA/verify', body: { method: 'webauthn', code: '1', credential: {} } },
  { method: 'POST', path: 'auth/2fa/challenge/AAAAAAAAAAAAAAAAAAAAAA/verify', body: { method: 'totp', code: '123456' } },
  { method: 'PUT', path: 'auth/2fa/policy', body: { required: true, allowed_methods: ['totp'], grace_period_days: 3 } },
];
const hostileBodies = ['null', '"text"', '[]', '{"a":', `${'['.repeat(5000)}${']'.repeat(5000)}`, '\u0000'];
const hostileSegments = ['%00', '%ZZ', 'x'.repeat(2000), '..%2F..%2Fetc', "'; DROP TABLE users; --", 'webauthn:%00', 'webauthn:x:y'];

describe('REST auth API 2FA: hostile input', () => {
  const server = useTessera();
  let issuer: string;
  let token: string;

  before(async () => {
    const tenant = await createTenant(server);
    issuer = tenant.issuer;
    await cliJson(server, ['tenant', 'settings', '--tenant', tenant.slug, '--set', JSON.stringify({ headless: { restApi: true }, signIn: { methods: { passkey: true } } })]);
    const user = await createUser(server, tenant.slug);
    await cliJson(server, ['role', 'assign', '--tenant', tenant.slug, '--user', user.id, '--role', 'admin']);
    token = (await restApi(issuer).json<RestTokens>(restApi(issuer).login(user))).access_token;
  });

  const send = (method: string, path: string, body?: string) =>
    call(`${issuer}/`, { method, path: `${new URL(issuer).pathname}/v1/${path}`, ...(body === undefined ? {} : { body }), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });

  it('answers hostile bodies and hostile values in every field with a 4xx from the catalogue', async () => {
    for (const { method, path, body } of endpoints) {
      for (const raw of hostileBodies) {
        const answer = await send(method, path, raw);
        assertSafe(answer, `${method} ${path} ${raw.slice(0, 20)}`);
        assert.ok(answer.status >= 400 && typeof answer.json?.error === 'string', `${method} ${path} ${raw.slice(0, 20)} → ${answer.status} ${answer.text.slice(0, 200)}`);
      }
      for (const field of Object.keys(body)) {
        for (const [label, value] of hostileJsonValues) {
          for (const wrapped of [value, `{"x":${value}}`, `[${value}]`]) {
            const rest = JSON.stringify(Object.fromEntries(Object.entries(body).filter(([key]) => key !== field))).slice(1, -1);
            const answer = await send(method, path, `{${JSON.stringify(field)}:${wrapped}${rest ? `,${rest}` : ''}}`);
            assertSafe(answer, `${method} ${path} ${field}=${label}`);
            assert.ok(answer.status >= 400 && typeof answer.json?.error === 'string', `${method} ${path} ${field}=${label} → ${answer.status}`);
          }
        }
      }
    }
  });

  it('answers hostile challenge ids, methods and query values without a 5xx', async () => {
    for (const segment of hostileSegments) {
      for (const [method, path] of [
        ['POST', `auth/challenge/${segment}/verify`], ['POST', `auth/challenge/${segment}/send`], ['POST', `auth/challenge/${segment}/webauthn/options`],
        ['POST', `auth/2fa/challenge/${segment}/verify`], ['DELETE', `auth/2fa/method/${segment}`], ['GET', `auth/2fa/challenge?method=${segment}`],
      ] as const) {
        const answer = await send(method, path, method === 'POST' ? '{"method":"totp","code":"123456"}' : undefined);
        assertSafe(answer, `${method} ${path.slice(0, 60)}`);
        assert.ok(answer.status >= 400, `${method} ${path.slice(0, 60)} → ${answer.status}`);
      }
      const otp = await call(`${server.url}/`, { method: 'POST', path: `/auth/challenge/${segment}/verify`, body: '{"app_id":"x","app_secret":"y","method":"totp","code":"1"}', headers: { 'content-type': 'application/json' } });
      assertSafe(otp, `OTP API challenge ${segment.slice(0, 20)}`);
    }
  });
});
