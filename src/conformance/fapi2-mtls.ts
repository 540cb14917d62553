// The fapi2 plan's mTLS variant (RFC 8705): client authentication by certificate (tls_client_auth: a certificate
// the proxy verified, with the registered subject; self_signed_tls_client_auth: the registered certificate) and
// access tokens bound to it (`cnf.x5t#S256`), refused at userinfo without that certificate.
import { randomUUID } from 'node:crypto';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { expect, expectEqual, skip } from './check-report.js';
import { certificateJwk, certificateThumbprint, fetchWithCertificate, opensslSubject, selfSignedCertificate, type ClientCertificate } from './client-certificates.js';
import { clientPost, requestObject, type FapiClient } from './fapi2-client.js';
import type { Fapi2Context } from './fapi2-context.js';
import type { Flow, Harness } from './harness.js';

type Check = <T>(name: string, run: () => Promise<T> | T) => Promise<T | undefined>;

export async function mtlsDiscoveryCheck(h: Harness, check: Check): Promise<void> {
  const m = await h.metadata();
  await check('mTLS: tls_client_auth or self_signed_tls_client_auth, and certificate-bound access tokens are offered (RFC 8705 §2, §3.3)', () => {
    const methods = (m.token_endpoint_auth_methods_supported as string[] | undefined) ?? [];
    expect(methods.includes('tls_client_auth') || methods.includes('self_signed_tls_client_auth'), `token_endpoint_auth_methods_supported: ${methods.join(', ')}`);
    expectEqual(m.tls_client_certificate_bound_access_tokens, true, 'tls_client_certificate_bound_access_tokens');
  });
}

export async function mtlsChecks(c: Fapi2Context, flow: Flow | undefined): Promise<void> {
  const { h, client, check } = c;
  const certificate = client.certificate!;
  // a second certificate, for "another certificate" (made once; every check that needs it skips without openssl)
  const other = await selfSignedCertificate('/O=Conformance harness/CN=another-client').catch(() => undefined);
  const needOther = () => other ?? skip('needs openssl to make a second certificate');
  const userinfo = async (accessToken: string, presented: ClientCertificate | undefined) => {
    const response = await fetchWithCertificate(presented)(c.endpoint('userinfo_endpoint'), { headers: { authorization: `Bearer ${accessToken}` } });
    await response.body?.cancel();
    return response.status;
  };
  const noToken = 'no access token: the sign-in did not pass';

  await check('mTLS: the access token is bound to the client certificate (cnf x5t#S256, RFC 8705 §3.1)', async () => {
    if (!flow) skip(noToken);
    const token = flow.tokens.access_token;
    const jwt = token.split('.').length === 3 ? jose.decodeJwt(token) : undefined;
    const cnf = jwt ? jwt.cnf as Record<string, unknown> | undefined : await introspectedCnf(c, token);
    expectEqual(cnf?.['x5t#S256'], certificateThumbprint(certificate.cert), `cnf x5t#S256 (${jwt ? 'in the JWT' : 'at introspection'})`);
  });
  await check('mTLS: the bound access token is refused at userinfo without a client certificate (401)', async () => {
    if (!flow) skip(noToken);
    expectEqual(await userinfo(flow.tokens.access_token, certificate), 200, 'with the certificate: HTTP status');
    expectEqual(await userinfo(flow.tokens.access_token, undefined), 401, 'without a certificate: HTTP status');
  });
  await check('mTLS: the bound access token is refused at userinfo with another certificate (401)', async () => {
    if (!flow) skip(noToken);
    expectEqual(await userinfo(flow.tokens.access_token, needOther()), 401, 'HTTP status');
  });
  await check('mTLS: the token endpoint refuses the client without its certificate and with another (invalid_client), then redeems the code', async () => {
    const { code, verifier } = await c.code();
    const redeem = (presented: ClientCertificate | null) => clientPost(h, client, c.endpoint('token_endpoint'), { grant_type: 'authorization_code', code, redirect_uri: h.options.redirectUri, code_verifier: verifier }, { certificate: presented });
    for (const [what, presented] of [['no certificate', null], ['another certificate', needOther()]] as const) {
      const { status, body } = await redeem(presented);
      expectEqual(status, 401, `${what}: HTTP status (${String(body.error)})`);
      expectEqual(body.error, 'invalid_client', `${what}: error`);
    }
    const { status, body } = await redeem(certificate);
    expectEqual(status, 200, `the client's certificate: HTTP status (${String(body.error ?? '')})`);
  });
  if (client.method === 'tls_client_auth') {
    await check('tls_client_auth: a self-signed certificate with the registered subject is refused: the proxy did not verify it (invalid_client)', async () => {
      const forged = await selfSignedCertificate(opensslSubject(certificate.cert)).catch(() => skip('needs openssl to make a certificate'));
      const { challenge } = await c.pkce();
      const { status, body } = await c.push({ ...c.base(), code_challenge: challenge, code_challenge_method: 'S256' }, { certificate: forged });
      expectEqual(status, 401, `HTTP status (${String(body.error)})`);
      expectEqual(body.error, 'invalid_client', 'error');
    });
  }
  await check('self_signed_tls_client_auth: the registered certificate authenticates, another does not (RFC 8705 §2.2)', async () => {
    if (client.method === 'self_signed_tls_client_auth') {
      const { challenge } = await c.pkce();
      const refused = await c.push({ ...c.base(), code_challenge: challenge, code_challenge_method: 'S256' }, { certificate: needOther() });
      expectEqual(refused.status, 401, `another certificate: HTTP status (${String(refused.body.error)})`);
      return;
    }
    await selfSignedClient(c, needOther(), certificate);
  });
}

/** registers a second client, self_signed_tls_client_auth with `own`, and pushes with it and with `stranger` */
async function selfSignedClient(c: Fapi2Context, own: ClientCertificate, stranger: ClientCertificate): Promise<void> {
  const { h } = c;
  if (!h.options.registrationToken) skip('needs --registration-token to register a self_signed_tls_client_auth client');
  if (!((c.m.token_endpoint_auth_methods_supported as string[] | undefined) ?? []).includes('self_signed_tls_client_auth')) skip('self_signed_tls_client_auth is not offered');
  // with --message-signing the tenant may require request objects of every client: this one signs them too
  const signing = await jose.generateKeyPair(c.client.alg, { extractable: true });
  const kid = randomUUID();
  const config = await h.register({
    token_endpoint_auth_method: 'self_signed_tls_client_auth', tls_client_certificate_bound_access_tokens: true,
    jwks: { keys: [certificateJwk(own.cert), { ...(await jose.exportJWK(signing.publicKey)), alg: c.client.alg, use: 'sig', kid }] },
    grant_types: ['authorization_code'], response_types: ['code'],
  } as never, oidc.TlsClientAuth());
  const second: FapiClient = { config, clientId: config.clientMetadata().client_id, method: 'self_signed_tls_client_auth', key: signing.privateKey, kid, alg: c.client.alg, certificate: own };
  const push = async (presented: ClientCertificate) => {
    const { challenge } = await c.pkce();
    const params = { ...c.base(), client_id: second.clientId, code_challenge: challenge, code_challenge_method: 'S256' };
    const body = h.options.messageSigning ? { request: await requestObject(h, second, params) } : params;
    return clientPost(h, second, c.endpoint('pushed_authorization_request_endpoint'), body, { certificate: presented });
  };
  const accepted = await push(own);
  expectEqual(accepted.status, 201, `the registered certificate: HTTP status (${String(accepted.body.error ?? '')})`);
  const refused = await push(stranger);
  expectEqual(refused.status, 401, 'another certificate: HTTP status');
  expectEqual(refused.body.error, 'invalid_client', 'another certificate: error');
}

/** the `cnf` the introspection endpoint reports for the client's own token (RFC 7662, RFC 8705 §3.2) */
async function introspectedCnf(c: Fapi2Context, token: string): Promise<Record<string, unknown> | undefined> {
  if (typeof c.m.introspection_endpoint !== 'string') skip('the access token is opaque and no introspection endpoint is advertised');
  const { status, body } = await clientPost(c.h, c.client, c.m.introspection_endpoint, { token });
  expectEqual(status, 200, 'introspection: HTTP status');
  expectEqual(body.active, true, 'introspection: active');
  return body.cnf as Record<string, unknown> | undefined;
}
