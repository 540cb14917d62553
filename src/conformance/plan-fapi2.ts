// FAPI 2.0 Security Profile (final): what its authorization server must do and refuse, checked with a client of the
// profile in the variant chosen (--fapi2-variant): private_key_jwt with DPoP-bound tokens (dpop), or mTLS client
// authentication with certificate-bound tokens (mtls, RFC 8705: the deployment's TLS proxy asks for a client
// certificate and passes it on). --message-signing adds FAPI 2.0 Message Signing: signed request objects through
// PAR and JARM responses (fapi2-message-signing.ts).
import * as oidc from 'openid-client';
import { expect, expectEqual, skip } from './check-report.js';
import { checkIdToken } from './id-token-checks.js';
import { fapiAlgs, fapiClient, clientPost, usesJarm } from './fapi2-client.js';
import { fapi2Context, responseParams, type Fapi2Context } from './fapi2-context.js';
import { mtlsChecks, mtlsDiscoveryCheck } from './fapi2-mtls.js';
import { messageSigningChecks, messageSigningDiscoveryCheck } from './fapi2-message-signing.js';
import type { Flow, Harness } from './harness.js';

export async function fapi2Plan(h: Harness): Promise<void> {
  const plan = 'fapi2';
  const check = <T>(name: string, run: () => Promise<T> | T) => h.report.check(plan, name, run);
  const m = await h.metadata();
  const list = (key: string) => (m[key] as string[] | undefined) ?? [];
  const { fapi2Variant: variant, messageSigning } = h.options;

  await check('pushed_authorization_request_endpoint is advertised (§5.3.2.2)', () => expect(typeof m.pushed_authorization_request_endpoint === 'string', 'no PAR endpoint'));
  await check('only the code response type (§5.3.2.2)', () => expectEqual(JSON.stringify(list('response_types_supported')), '["code"]', 'response_types_supported'));
  await check('client authentication: private_key_jwt or mTLS, never a shared secret (§5.3.2.1)', () => {
    const methods = list('token_endpoint_auth_methods_supported');
    expect(methods.some((method) => ['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'].includes(method)), 'neither private_key_jwt nor mTLS');
    expect(!methods.some((method) => method.startsWith('client_secret')), `secrets offered: ${methods.join(', ')}`);
  });
  await check('signing algorithms: PS256, ES256 or EdDSA only (§5.4.1)', () => {
    for (const key of ['id_token_signing_alg_values_supported', 'token_endpoint_auth_signing_alg_values_supported', 'dpop_signing_alg_values_supported', 'request_object_signing_alg_values_supported', 'authorization_signing_alg_values_supported']) {
      const forbidden = list(key).filter((alg) => !fapiAlgs.includes(alg));
      expect(!forbidden.length, `${key} offers ${forbidden.join(', ')}`);
    }
  });
  await check('PKCE with S256 only; RFC 9207 iss in responses (§5.3.2.2)', () => {
    expectEqual(JSON.stringify(list('code_challenge_methods_supported')), '["S256"]', 'code_challenge_methods_supported');
    expectEqual(m.authorization_response_iss_parameter_supported, true, 'authorization_response_iss_parameter_supported');
  });
  await check('sender-constrained tokens are offered: DPoP or mTLS', () => expect(list('dpop_signing_alg_values_supported').length || m.tls_client_certificate_bound_access_tokens, 'neither DPoP nor mTLS-bound tokens'));
  if (variant === 'mtls') await mtlsDiscoveryCheck(h, check);
  if (messageSigning) await messageSigningDiscoveryCheck(h, check);

  const describeClient = variant === 'mtls' ? 'an mTLS client (tls_client_auth, or self_signed_tls_client_auth) with certificate-bound tokens' : 'a private_key_jwt client with DPoP-bound tokens';
  const jarm = usesJarm(h, m);
  const client = await check(`${describeClient}${messageSigning ? `, signed request objects${jarm ? ' and JARM' : ''},` : ''} is available`, () => {
    if (!messageSigning && m.require_signed_request_object === true) skip('the deployment requires signed request objects (require_signed_request_object): run with --message-signing');
    return fapiClient(h);
  });
  if (!client || !(await check('a test user is configured for the browser steps', () => { h.needsUser(); return true; }))) return;
  if (jarm) oidc.useJwtResponseMode(client.config);
  const session = await h.session();
  const c = fapi2Context(h, m, client, session, check);

  try {
    const steps = ['PAR', 'PKCE', variant === 'mtls' ? 'mTLS-bound tokens' : 'DPoP', client.method, ...(messageSigning ? ['JAR'] : []), ...(jarm ? ['JARM'] : [])];
    const flow = await check(`${steps.join(' + ')}: iss in the response, ${variant === 'mtls' ? 'Bearer' : 'DPoP'} token type, a FAPI-signed ID Token, userinfo`, () => signIn(c));
    await commonRefusals(c);
    if (variant === 'dpop') await dpopRefusals(c);
    else await mtlsChecks(c, flow);
    if (messageSigning) await messageSigningChecks(c, flow);
  } finally {
    await session.close();
  }
}

/** the profile's sign-in through the hosted pages, with the client's sender constraint and (optionally) JAR/JARM */
async function signIn(c: Fapi2Context): Promise<Flow> {
  const { h, m, client, session } = c;
  const DPoP = c.h.options.fapi2Variant === 'dpop' ? oidc.getDPoPHandle(client.config, await oidc.randomDPoPKeyPair('ES256')) : undefined;
  const signing = h.options.messageSigning;
  if (signing && !client.key) throw new Error('the request objects need --private-jwk');
  const flow = await h.codeFlow(client.config, session, { scope: 'openid', ...(usesJarm(h, m) ? { response_mode: 'jwt' } : {}) }, {
    par: true, DPoP, jar: signing ? { key: client.key!, kid: client.kid } : undefined,
  });
  expectEqual(responseParams(flow.callback).get('iss'), m.issuer, 'iss');
  expectEqual(flow.tokens.token_type.toLowerCase(), DPoP ? 'dpop' : 'bearer', 'token_type');
  await checkIdToken(h, flow.tokens.id_token!, { clientId: client.clientId, nonce: flow.nonce, algs: fapiAlgs });
  const info = await oidc.fetchUserInfo(client.config, flow.tokens.access_token, oidc.skipSubjectCheck, { DPoP });
  expect(info.sub, 'no sub at userinfo');
  if (DPoP) {
    const bearer = await fetch(c.endpoint('userinfo_endpoint'), { headers: { authorization: `Bearer ${flow.tokens.access_token}` } });
    await bearer.body?.cancel();
    expectEqual(bearer.status, 401, 'the DPoP-bound token used as a Bearer token: HTTP status');
  }
  return flow;
}

/** what the profile refuses whatever the variant */
async function commonRefusals(c: Fapi2Context): Promise<void> {
  const { h, client, session, check, pkce, base, push } = c;
  await check('an authorization request that was not pushed is refused; no code', async () => {
    const { challenge } = await pkce();
    const url = new URL(c.endpoint('authorization_endpoint'));
    for (const [key, value] of Object.entries({ ...base(), code_challenge: challenge, code_challenge_method: 'S256' })) url.searchParams.set(key, value);
    const callback = await session.visit(url, h.options.redirectUri, { signIn: false }).catch(() => undefined);
    expect(!(callback && responseParams(callback).get('code')), 'a code was issued without PAR');
  });
  await check('PAR without PKCE is refused (invalid_request)', async () => {
    const { status, body } = await push(base());
    expectEqual(status, 400, 'HTTP status');
    expectEqual(body.error, 'invalid_request', 'error');
  });
  await check('PAR with code_challenge_method=plain is refused', async () => {
    const { verifier } = await pkce();
    const { status, body } = await push({ ...base(), code_challenge: verifier, code_challenge_method: 'plain' });
    expectEqual(status, 400, 'HTTP status');
    expect(body.error === 'invalid_request', `error ${String(body.error)}`);
  });
  await check('PAR with response_type code id_token is refused', async () => {
    const { challenge } = await pkce();
    const { status, body } = await push({ ...base(), response_type: 'code id_token', code_challenge: challenge, code_challenge_method: 'S256' });
    expectEqual(status, 400, 'HTTP status');
    expect(['unsupported_response_type', 'invalid_request', 'invalid_request_object', 'unauthorized_client'].includes(String(body.error)), `error ${String(body.error)}`);
  });
  if (client.method === 'private_key_jwt') {
    await check('a client assertion whose aud is not the issuer is refused (invalid_client)', async () => {
      const { challenge } = await pkce();
      const { status, body } = await push({ ...base(), code_challenge: challenge, code_challenge_method: 'S256' }, { aud: c.endpoint('token_endpoint') });
      expectEqual(status, 401, 'HTTP status');
      expectEqual(body.error, 'invalid_client', 'error');
    });
  }
  await check('PAR answers a request_uri that expires in under 600 seconds and works once only', async () => {
    const { challenge } = await pkce();
    const pushed = await push({ ...base(), code_challenge: challenge, code_challenge_method: 'S256' });
    expectEqual(pushed.status, 201, `HTTP status (${String(pushed.body.error ?? '')})`);
    const expires = Number(pushed.body.expires_in);
    expect(expires > 0 && expires < 600, `expires_in ${expires}`);
    const first = responseParams(await c.authorize(pushed.body.request_uri));
    expect(first.get('code'), `no code: ${first.get('error') ?? ''}`);
    const second = await c.authorize(pushed.body.request_uri).catch(() => undefined);
    expect(!(second && responseParams(second).get('code')), 'the request_uri was accepted twice');
  });
}

/** DPoP: the token endpoint refuses a code redeemed without a proof */
async function dpopRefusals(c: Fapi2Context): Promise<void> {
  await c.check('a token request without a DPoP proof is refused for a DPoP-bound client', async () => {
    const { code, verifier } = await c.code();
    const { status, body } = await clientPost(c.h, c.client, c.endpoint('token_endpoint'), { grant_type: 'authorization_code', code, redirect_uri: c.h.options.redirectUri, code_verifier: verifier });
    expectEqual(status, 400, `HTTP status (${String(body.error)})`);
    expect(['invalid_dpop_proof', 'invalid_request', 'invalid_grant'].includes(String(body.error)), `error ${String(body.error)}`);
  });
}
