// FAPI 2.0 Security Profile (final): what its authorization server must do and refuse, checked with a client of
// the profile — private_key_jwt (registered with --registration-token, or given by --client-id and
// --private-jwk) and DPoP-bound tokens. mTLS sender-constraining needs a client certificate at the TLS proxy and
// is not driven here.
import { randomUUID } from 'node:crypto';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { expect, expectEqual, skip } from './check-report.js';
import { checkIdToken } from './id-token-checks.js';
import type { Harness } from './harness.js';

const fapiAlgs = ['PS256', 'ES256', 'EdDSA', 'Ed25519'];

interface FapiClient { config: oidc.Configuration; clientId: string; key: CryptoKey; alg: string }

export async function fapi2Plan(h: Harness): Promise<void> {
  const plan = 'fapi2';
  const check = <T>(name: string, run: () => Promise<T> | T) => h.report.check(plan, name, run);
  const m = await h.metadata();
  const list = (key: string) => (m[key] as string[] | undefined) ?? [];

  await check('pushed_authorization_request_endpoint is advertised (§5.3.2.2)', () => expect(typeof m.pushed_authorization_request_endpoint === 'string', 'no PAR endpoint'));
  await check('only the code response type (§5.3.2.2)', () => expectEqual(JSON.stringify(list('response_types_supported')), '["code"]', 'response_types_supported'));
  await check('client authentication: private_key_jwt or mTLS, never a shared secret (§5.3.2.1)', () => {
    const methods = list('token_endpoint_auth_methods_supported');
    expect(methods.some((method) => ['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'].includes(method)), 'neither private_key_jwt nor mTLS');
    expect(!methods.some((method) => method.startsWith('client_secret')), `secrets offered: ${methods.join(', ')}`);
  });
  await check('signing algorithms: PS256, ES256 or EdDSA only (§5.4.1)', () => {
    for (const key of ['id_token_signing_alg_values_supported', 'token_endpoint_auth_signing_alg_values_supported', 'dpop_signing_alg_values_supported', 'request_object_signing_alg_values_supported']) {
      const forbidden = list(key).filter((alg) => !fapiAlgs.includes(alg));
      expect(!forbidden.length, `${key} offers ${forbidden.join(', ')}`);
    }
  });
  await check('PKCE with S256 only; RFC 9207 iss in responses (§5.3.2.2)', () => {
    expectEqual(JSON.stringify(list('code_challenge_methods_supported')), '["S256"]', 'code_challenge_methods_supported');
    expectEqual(m.authorization_response_iss_parameter_supported, true, 'authorization_response_iss_parameter_supported');
  });
  await check('sender-constrained tokens are offered: DPoP or mTLS', () => expect(list('dpop_signing_alg_values_supported').length || m.tls_client_certificate_bound_access_tokens, 'neither DPoP nor mTLS-bound tokens'));

  const client = await check('a private_key_jwt client with DPoP-bound tokens is available', () => fapiClient(h));
  if (!client || !(await check('a test user is configured for the browser steps', () => { h.needsUser(); return true; }))) return;
  const session = await h.session();
  const assertion = (aud: string, alg = client.alg) => new jose.SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg })
    .setIssuer(client.clientId).setSubject(client.clientId).setAudience(aud).setIssuedAt().setExpirationTime('60s').sign(client.key);
  const pkce = async () => { const verifier = oidc.randomPKCECodeVerifier(); return { verifier, challenge: await oidc.calculatePKCECodeChallenge(verifier) }; };
  const base = () => ({ client_id: client.clientId, redirect_uri: h.options.redirectUri, scope: 'openid', response_type: 'code', state: oidc.randomState(), nonce: oidc.randomNonce() });
  const endpoint = (key: string) => String(m[key]);
  const post = async (url: string, params: Record<string, string>, aud = String(m.issuer), headers: Record<string, string> = {}) => {
    const response = await fetch(url, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ ...params, client_id: client.clientId, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await assertion(aud) }),
    });
    return { status: response.status, body: await response.json().catch(() => ({})) as Record<string, unknown> };
  };

  try {
    await check('PAR + PKCE + DPoP + private_key_jwt: iss in the response, DPoP token type, a FAPI-signed ID Token, DPoP userinfo', async () => {
      const DPoP = oidc.getDPoPHandle(client.config, await oidc.randomDPoPKeyPair('ES256'));
      const flow = await h.codeFlow(client.config, session, { scope: 'openid' }, { par: true, DPoP });
      expectEqual(flow.callback.params.get('iss'), m.issuer, 'iss');
      expectEqual(flow.tokens.token_type.toLowerCase(), 'dpop', 'token_type');
      await checkIdToken(h, flow.tokens.id_token!, { clientId: client.clientId, nonce: flow.nonce, algs: fapiAlgs });
      const info = await oidc.fetchUserInfo(client.config, flow.tokens.access_token, oidc.skipSubjectCheck, { DPoP });
      expect(info.sub, 'no sub at userinfo');
      const bearer = await fetch(endpoint('userinfo_endpoint'), { headers: { authorization: `Bearer ${flow.tokens.access_token}` } });
      await bearer.body?.cancel();
      expectEqual(bearer.status, 401, 'the DPoP-bound token used as a Bearer token: HTTP status');
    });
    await check('an authorization request that was not pushed is refused; no code', async () => {
      const { challenge } = await pkce();
      const url = new URL(endpoint('authorization_endpoint'));
      for (const [key, value] of Object.entries({ ...base(), code_challenge: challenge, code_challenge_method: 'S256' })) url.searchParams.set(key, value);
      const callback = await session.visit(url, h.options.redirectUri, { signIn: false }).catch(() => undefined);
      expect(!callback?.params.get('code'), 'a code was issued without PAR');
    });
    await check('PAR without PKCE is refused (invalid_request)', async () => {
      const { status, body } = await post(endpoint('pushed_authorization_request_endpoint'), base());
      expectEqual(status, 400, 'HTTP status');
      expectEqual(body.error, 'invalid_request', 'error');
    });
    await check('PAR with code_challenge_method=plain is refused', async () => {
      const { verifier } = await pkce();
      const { status, body } = await post(endpoint('pushed_authorization_request_endpoint'), { ...base(), code_challenge: verifier, code_challenge_method: 'plain' });
      expectEqual(status, 400, 'HTTP status');
      expect(body.error === 'invalid_request', `error ${String(body.error)}`);
    });
    await check('PAR with response_type code id_token is refused', async () => {
      const { challenge } = await pkce();
      const { status, body } = await post(endpoint('pushed_authorization_request_endpoint'), { ...base(), response_type: 'code id_token', code_challenge: challenge, code_challenge_method: 'S256' });
      expectEqual(status, 400, 'HTTP status');
      expect(['unsupported_response_type', 'invalid_request', 'unauthorized_client'].includes(String(body.error)), `error ${String(body.error)}`);
    });
    await check('a client assertion whose aud is not the issuer is refused (invalid_client)', async () => {
      const { challenge } = await pkce();
      const { status, body } = await post(endpoint('pushed_authorization_request_endpoint'), { ...base(), code_challenge: challenge, code_challenge_method: 'S256' }, endpoint('token_endpoint'));
      expectEqual(status, 401, 'HTTP status');
      expectEqual(body.error, 'invalid_client', 'error');
    });
    await check('PAR answers a request_uri that expires in under 600 seconds and works once only', async () => {
      const { challenge } = await pkce();
      const pushed = await post(endpoint('pushed_authorization_request_endpoint'), { ...base(), code_challenge: challenge, code_challenge_method: 'S256' });
      expectEqual(pushed.status, 201, 'HTTP status');
      const expires = Number(pushed.body.expires_in);
      expect(expires > 0 && expires < 600, `expires_in ${expires}`);
      const url = new URL(endpoint('authorization_endpoint'));
      url.searchParams.set('client_id', client.clientId);
      url.searchParams.set('request_uri', String(pushed.body.request_uri));
      const first = await session.visit(url, h.options.redirectUri, { signIn: false });
      expect(first.params.get('code'), `no code: ${first.params.get('error') ?? ''}`);
      const second = await session.visit(url, h.options.redirectUri, { signIn: false }).catch(() => undefined);
      expect(!second?.params.get('code'), 'the request_uri was accepted twice');
    });
    await check('a token request without a DPoP proof (or certificate) is refused for a sender-constrained client', async () => {
      const { verifier, challenge } = await pkce();
      const pushed = await post(endpoint('pushed_authorization_request_endpoint'), { ...base(), code_challenge: challenge, code_challenge_method: 'S256' });
      const url = new URL(endpoint('authorization_endpoint'));
      url.searchParams.set('client_id', client.clientId);
      url.searchParams.set('request_uri', String(pushed.body.request_uri));
      const callback = await session.visit(url, h.options.redirectUri, { signIn: false });
      const code = callback.params.get('code');
      expect(code, `no code: ${callback.params.get('error') ?? ''}`);
      const { status, body } = await post(endpoint('token_endpoint'), { grant_type: 'authorization_code', code, redirect_uri: h.options.redirectUri, code_verifier: verifier });
      expectEqual(status, 400, `HTTP status (${String(body.error)})`);
      expect(['invalid_dpop_proof', 'invalid_request', 'invalid_grant'].includes(String(body.error)), `error ${String(body.error)}`);
    });
  } finally {
    await session.close();
  }
}

/** the profile's client: registered (private_key_jwt, jwks, dpop_bound_access_tokens), or the given one */
async function fapiClient(h: Harness): Promise<FapiClient> {
  const m = await h.metadata();
  const algs = (m.token_endpoint_auth_signing_alg_values_supported as string[] | undefined) ?? [];
  if (h.options.clientId && h.options.privateJwk) {
    const jwk = JSON.parse(h.options.privateJwk) as jose.JWK;
    const alg = jwk.alg ?? (jwk.kty === 'EC' ? 'ES256' : jwk.kty === 'OKP' ? 'EdDSA' : 'PS256');
    const key = await jose.importJWK(jwk, alg) as CryptoKey;
    return { config: h.configuration(h.options.clientId, { token_endpoint_auth_method: 'private_key_jwt' }, oidc.PrivateKeyJwt({ key, kid: jwk.kid })), clientId: h.options.clientId, key, alg };
  }
  if (!h.options.registrationToken) skip('needs --registration-token, or --client-id with --private-jwk (a private_key_jwt client with dpop_bound_access_tokens)');
  const alg = ['ES256', 'PS256', 'EdDSA'].find((one) => algs.includes(one));
  if (!alg) skip('no FAPI algorithm for private_key_jwt is advertised');
  const pair = await jose.generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  const publicJwk = { ...(await jose.exportJWK(pair.publicKey)), alg, use: 'sig', kid };
  const config = await h.register({
    token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: alg, jwks: { keys: [publicJwk] }, dpop_bound_access_tokens: true,
    grant_types: ['authorization_code'], response_types: ['code'],
  } as never, oidc.PrivateKeyJwt({ key: pair.privateKey, kid }));
  return { config, clientId: config.clientMetadata().client_id, key: pair.privateKey, alg };
}
