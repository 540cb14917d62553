// OpenID Connect Form Post OP (OAuth 2.0 Form Post Response Mode): the response reaches the redirect URI as a
// POST made by the browser, for a code and for an error.
import * as oidc from 'openid-client';
import { expect, expectEqual, skip } from './check-report.js';
import { checkIdToken } from './id-token-checks.js';
import type { Harness } from './harness.js';

export async function formPostPlan(h: Harness): Promise<void> {
  const plan = 'formpost';
  const check = <T>(name: string, run: () => Promise<T> | T) => h.report.check(plan, name, run);
  const m = await h.metadata();
  const offered = await check('response_modes_supported includes form_post', () => {
    expect((m.response_modes_supported as string[] | undefined)?.includes('form_post'), 'form_post is not advertised');
    return true;
  });
  if (!offered) return;
  const client = await check('a confidential client is configured', () => h.givenClient());
  if (!client || !(await check('a test user is configured for the browser steps', () => { h.needsUser(); return true; }))) return;
  const clientId = client.clientMetadata().client_id;
  const session = await h.session();
  try {
    await check('code flow with response_mode=form_post: code, state and iss arrive by POST and redeem', async () => {
      const flow = await h.codeFlow(client, session, { response_mode: 'form_post' });
      expectEqual(flow.callback.method, 'POST', 'the method the response arrived with');
      expect(!flow.callback.url.search.includes('code='), 'the code is also in the URL');
      expectEqual(flow.callback.params.get('state'), flow.state, 'state');
      if (m.authorization_response_iss_parameter_supported) expectEqual(flow.callback.params.get('iss'), m.issuer, 'iss');
      await checkIdToken(h, flow.tokens.id_token!, { clientId, nonce: flow.nonce, accessToken: flow.tokens.access_token });
    });
    await check('an error response (prompt=none without a session) arrives by POST with state', async () => {
      const fresh = await h.session();
      try {
        const state = oidc.randomState();
        const url = oidc.buildAuthorizationUrl(client, {
          redirect_uri: h.options.redirectUri, scope: 'openid', response_type: 'code', response_mode: 'form_post', prompt: 'none', state,
          code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
        });
        const callback = await fresh.visit(url, h.options.redirectUri, { signIn: false });
        expectEqual(callback.method, 'POST', 'the method the error arrived with');
        expectEqual(callback.params.get('error'), 'login_required', 'error');
        expectEqual(callback.params.get('state'), state, 'state');
      } finally {
        await fresh.close();
      }
    });
    await check('hybrid response (code id_token) by form_post: c_hash matches the code', async () => {
      if (!(m.response_types_supported as string[]).includes('code id_token')) skip('code id_token is not offered (RFC 9700: hybrid is off by default)');
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(client, { redirect_uri: h.options.redirectUri, scope: 'openid', response_type: 'code id_token', response_mode: 'form_post', nonce, state: oidc.randomState() });
      const callback = await session.visit(url, h.options.redirectUri);
      const code = callback.params.get('code');
      const idToken = callback.params.get('id_token');
      if (!code && callback.params.get('error') === 'unauthorized_client') skip('the client is not registered for code id_token');
      expect(code && idToken, `no code and id_token: ${callback.params.get('error') ?? ''}`);
      await checkIdToken(h, idToken, { clientId, nonce, code });
    });
  } finally {
    await session.close();
  }
}
