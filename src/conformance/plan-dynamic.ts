// OpenID Connect Dynamic OP: Dynamic Client Registration 1.0 / RFC 7591, RFC 7592 management, and a registered
// client signing a user in. Registration here uses an initial access token (--registration-token).
import * as oidc from 'openid-client';
import { expect, expectEqual, skip } from './check-report.js';
import { checkIdToken } from './id-token-checks.js';
import type { Harness } from './harness.js';

export async function dynamicPlan(h: Harness): Promise<void> {
  const plan = 'dynamic';
  const check = <T>(name: string, run: () => Promise<T> | T) => h.report.check(plan, name, run);
  const m = await h.metadata();
  const endpoint = await check('registration_endpoint is advertised', () => {
    expect(typeof m.registration_endpoint === 'string', 'no registration_endpoint');
    return String(m.registration_endpoint);
  });
  if (!endpoint) return;
  const token = await check('an initial access token is given', () => h.options.registrationToken ?? skip('needs --registration-token'));
  if (!token) return;
  const post = async (body: unknown) => {
    const response = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    return { status: response.status, body: await response.json().catch(() => ({})) as Record<string, unknown> };
  };

  const registered = await check('registration answers 201 with client_id, client_secret and the registered metadata', async () => {
    const { status, body } = await post({ redirect_uris: [h.options.redirectUri], client_name: 'Conformance dynamic', grant_types: ['authorization_code'], response_types: ['code'] });
    expectEqual(status, 201, `HTTP status (${String(body.error_description ?? body.error ?? '')})`);
    expect(typeof body.client_id === 'string', 'no client_id');
    expect(typeof body.client_secret === 'string', 'no client_secret for a client_secret_basic client');
    if (body.client_secret_expires_at !== undefined) expect(typeof body.client_secret_expires_at === 'number', 'client_secret_expires_at is not a number');
    expectEqual(JSON.stringify(body.redirect_uris), JSON.stringify([h.options.redirectUri]), 'redirect_uris');
    return body;
  });
  await check('a redirect_uri with a fragment is refused (invalid_redirect_uri)', async () => {
    const { status, body } = await post({ redirect_uris: [`${h.options.redirectUri}#fragment`] });
    expectEqual(status, 400, 'HTTP status');
    expectEqual(body.error, 'invalid_redirect_uri', 'error');
  });
  await check('invalid metadata is refused (invalid_client_metadata)', async () => {
    const { status, body } = await post({ redirect_uris: [h.options.redirectUri], token_endpoint_auth_method: 'not_a_method' });
    expectEqual(status, 400, 'HTTP status');
    expectEqual(body.error, 'invalid_client_metadata', 'error');
  });
  await check('registration without the initial access token is refused', async () => {
    const response = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: [h.options.redirectUri] }) });
    await response.body?.cancel();
    expect(response.status === 401 || response.status === 400 || response.status === 403, `HTTP ${response.status}`);
  });
  if (!registered) return;
  const clientId = String(registered.client_id);
  await check('RFC 7592: the registration access token reads the client back', async () => {
    if (typeof registered.registration_client_uri !== 'string') skip('no registration_client_uri (RFC 7592 management is off)');
    const response = await fetch(registered.registration_client_uri, { headers: { authorization: `Bearer ${registered.registration_access_token}` } });
    expectEqual(response.status, 200, 'HTTP status');
    expectEqual((await response.json() as { client_id?: string }).client_id, clientId, 'client_id');
  });
  await check('the registered client signs a user in (code flow); its ID Token is for it', async () => {
    h.needsUser();
    const config = h.configuration(clientId, { client_secret: String(registered.client_secret) }, oidc.ClientSecretBasic(String(registered.client_secret)));
    const session = await h.session();
    try {
      const flow = await h.codeFlow(config, session);
      await checkIdToken(h, flow.tokens.id_token!, { clientId, nonce: flow.nonce, accessToken: flow.tokens.access_token });
    } finally {
      await session.close();
    }
  });
  await check('pairwise: a sector\'s sub differs from the public sub of the same user', async () => {
    if (!(m.subject_types_supported as string[]).includes('pairwise')) skip('subject_types_supported does not include pairwise');
    h.needsUser();
    const session = await h.session();
    try {
      const subs: string[] = [];
      for (const subjectType of ['public', 'pairwise']) {
        const config = await h.register({ subject_type: subjectType, grant_types: ['authorization_code'] });
        const flow = await h.codeFlow(config, session);
        subs.push(String((await checkIdToken(h, flow.tokens.id_token!, { clientId: config.clientMetadata().client_id, nonce: flow.nonce })).sub));
      }
      expect(subs[0] !== subs[1], 'the pairwise sub equals the public one');
    } finally {
      await session.close();
    }
  });
  await check('RFC 7592: DELETE removes the client; its token then reads nothing', async () => {
    if (typeof registered.registration_client_uri !== 'string') skip('no registration_client_uri (RFC 7592 management is off)');
    const auth = { authorization: `Bearer ${registered.registration_access_token}` };
    const deleted = await fetch(registered.registration_client_uri, { method: 'DELETE', headers: auth });
    await deleted.body?.cancel();
    expectEqual(deleted.status, 204, 'DELETE status');
    const read = await fetch(registered.registration_client_uri, { headers: auth });
    await read.body?.cancel();
    expect(read.status === 401 || read.status === 404, `read after delete: HTTP ${read.status}`);
  });
}
