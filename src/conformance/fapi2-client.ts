// The fapi2 plan's relying party, in the variant chosen (--fapi2-variant): private_key_jwt with DPoP-bound tokens, or
// mTLS client authentication (tls_client_auth with a certificate the proxy verifies, else self_signed_tls_client_auth
// with a certificate made here) with certificate-bound tokens (RFC 8705). With --message-signing it also signs its
// request objects (JAR, RFC 9101) and asks for JARM responses. Registered with --registration-token, or given.
import { randomUUID } from 'node:crypto';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { skip } from './check-report.js';
import { certificateJwk, fetchWithCertificate, selfSignedCertificate, subjectDn, type ClientCertificate } from './client-certificates.js';
import type { Harness, Metadata } from './harness.js';

export const fapiAlgs = ['PS256', 'ES256', 'EdDSA', 'Ed25519'];

/** --message-signing with a deployment that offers JARM (response_modes_supported has jwt): responses as JWTs */
export function usesJarm(h: Harness, m: Metadata): boolean {
  return h.options.messageSigning && ((m.response_modes_supported as string[] | undefined) ?? []).includes('jwt');
}

export type FapiAuthMethod = 'private_key_jwt' | 'tls_client_auth' | 'self_signed_tls_client_auth';

export interface FapiClient {
  config: oidc.Configuration;
  clientId: string;
  method: FapiAuthMethod;
  /** the private_key_jwt key, and the key request objects are signed with (absent: a given mTLS client without --private-jwk) */
  key?: CryptoKey;
  kid?: string;
  alg: string;
  /** mtls: the certificate the client authenticates with and its tokens are bound to */
  certificate?: ClientCertificate;
}

/** the client, registered for the chosen variant or given; SKIP when neither can be */
export async function fapiClient(h: Harness): Promise<FapiClient> {
  const m = await h.metadata();
  const { fapi2Variant: variant, messageSigning, clientCertificate } = h.options;
  const algs = (m.token_endpoint_auth_signing_alg_values_supported as string[] | undefined) ?? (m.request_object_signing_alg_values_supported as string[] | undefined) ?? [];
  if (h.options.clientId) return givenClient(h, h.options.clientId);
  if (!h.options.registrationToken) {
    skip(`needs --registration-token, or --client-id with ${variant === 'mtls' ? '--client-cert/--client-key' : '--private-jwk'} (a client of the profile)`);
  }
  const alg = ['ES256', 'PS256', 'EdDSA'].find((one) => algs.includes(one)) ?? (variant === 'mtls' ? 'ES256' : undefined);
  if (!alg) skip('no FAPI algorithm for private_key_jwt is advertised');
  const pair = await jose.generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  const signingJwk = { ...(await jose.exportJWK(pair.publicKey)), alg, use: 'sig', kid };
  const signing = {
    ...(messageSigning ? { require_signed_request_object: true, request_object_signing_alg: alg } : {}),
    ...(usesJarm(h, m) ? { authorization_signed_response_alg: await jarmAlg(h) } : {}),
  };
  const common = { grant_types: ['authorization_code'], response_types: ['code'], ...signing };

  if (variant === 'dpop') {
    const config = await h.register({
      token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: alg, jwks: { keys: [signingJwk] }, dpop_bound_access_tokens: true, ...common,
    } as never, oidc.PrivateKeyJwt({ key: pair.privateKey, kid }));
    return { config, clientId: config.clientMetadata().client_id, method: 'private_key_jwt', key: pair.privateKey, kid, alg };
  }
  // tls_client_auth needs a certificate the proxy verifies against its CA; without one, a self-signed certificate
  // registered in the client's jwks (x5c) authenticates the client (RFC 8705 §2.2)
  const certificate = clientCertificate ?? await selfSignedCertificate('/O=Conformance harness/CN=fapi2-client').catch(() => skip('needs --client-cert/--client-key, or openssl to make a self-signed certificate'));
  const method: FapiAuthMethod = clientCertificate ? 'tls_client_auth' : 'self_signed_tls_client_auth';
  const config = await h.register({
    token_endpoint_auth_method: method, tls_client_certificate_bound_access_tokens: true,
    ...(method === 'tls_client_auth' ? { tls_client_auth_subject_dn: subjectDn(certificate.cert) } : {}),
    jwks: { keys: [signingJwk, ...(method === 'self_signed_tls_client_auth' ? [certificateJwk(certificate.cert)] : [])] }, ...common,
  } as never, oidc.TlsClientAuth());
  config[oidc.customFetch] = fetchWithCertificate(certificate) as oidc.CustomFetch;
  return { config, clientId: config.clientMetadata().client_id, method, key: pair.privateKey, kid, alg, certificate };
}

/** --client-id: private_key_jwt with --private-jwk (dpop), or mTLS with --client-cert (the JWK then signs request objects) */
async function givenClient(h: Harness, clientId: string): Promise<FapiClient> {
  const { fapi2Variant: variant, clientCertificate, privateJwk } = h.options;
  let key: CryptoKey | undefined;
  let kid: string | undefined;
  let alg = 'ES256';
  if (privateJwk) {
    const jwk = JSON.parse(privateJwk) as jose.JWK;
    alg = jwk.alg ?? (jwk.kty === 'EC' ? 'ES256' : jwk.kty === 'OKP' ? 'EdDSA' : 'PS256');
    key = await jose.importJWK(jwk, alg) as CryptoKey;
    kid = jwk.kid;
  }
  if (variant === 'dpop') {
    if (!key) skip('needs --private-jwk with --client-id (a private_key_jwt client with dpop_bound_access_tokens)');
    const config = h.configuration(clientId, { token_endpoint_auth_method: 'private_key_jwt' }, oidc.PrivateKeyJwt({ key, kid }));
    return { config, clientId, method: 'private_key_jwt', key, kid, alg };
  }
  if (!clientCertificate) skip('needs --client-cert/--client-key with --client-id (a tls_client_auth client with tls_client_certificate_bound_access_tokens)');
  const config = h.configuration(clientId, { token_endpoint_auth_method: 'tls_client_auth' }, oidc.TlsClientAuth());
  config[oidc.customFetch] = fetchWithCertificate(clientCertificate) as oidc.CustomFetch;
  return { config, clientId, method: 'tls_client_auth', key, kid, alg, certificate: clientCertificate };
}

/** a FAPI algorithm the provider both offers for JARM and holds a key for */
async function jarmAlg(h: Harness): Promise<string> {
  const offered = ((await h.metadata()).authorization_signing_alg_values_supported as string[] | undefined) ?? [];
  const keys = (await h.jwks()).keys;
  const held = (alg: string) => keys.some((key) => key.alg === alg || (!key.alg && ((alg === 'ES256' && key.crv === 'P-256') || (alg === 'EdDSA' && key.crv === 'Ed25519') || (alg === 'PS256' && key.kty === 'RSA'))));
  return ['ES256', 'EdDSA', 'PS256'].find((alg) => offered.includes(alg) && held(alg)) ?? skip('no FAPI algorithm for JARM is offered (authorization_signing_alg_values_supported)');
}

/** a request to one of the provider's endpoints, authenticated as the client; `certificate: null` sends none */
export async function clientPost(h: Harness, client: FapiClient, url: string, params: Record<string, string>, options: { aud?: string; certificate?: ClientCertificate | null; headers?: Record<string, string> } = {}) {
  const m = await h.metadata();
  const body = new URLSearchParams({ ...params, client_id: client.clientId });
  if (client.method === 'private_key_jwt') {
    const assertion = await new jose.SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: client.alg, kid: client.kid })
      .setIssuer(client.clientId).setSubject(client.clientId).setAudience(options.aud ?? String(m.issuer)).setIssuedAt().setExpirationTime('60s').sign(client.key!);
    body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    body.set('client_assertion', assertion);
  }
  const certificate = options.certificate === undefined ? client.certificate : options.certificate ?? undefined;
  const response = await fetchWithCertificate(certificate)(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...options.headers }, body });
  return { status: response.status, body: await response.json().catch(() => ({})) as Record<string, unknown> };
}

export interface RequestObjectOptions { key?: CryptoKey; alg?: string; kid?: string; unsigned?: boolean; lifetime?: number; nbfOffset?: number; aud?: string; omit?: string[] }

/** a request object (RFC 9101) of `params`, signed as the profile asks unless the options spoil it */
export async function requestObject(h: Harness, client: FapiClient, params: Record<string, string>, options: RequestObjectOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const nbf = now + (options.nbfOffset ?? 0);
  const claims: Record<string, unknown> = {
    ...params, client_id: client.clientId, iss: client.clientId, aud: options.aud ?? String((await h.metadata()).issuer),
    jti: randomUUID(), iat: now, nbf, exp: nbf + (options.lifetime ?? 60),
  };
  for (const claim of options.omit ?? []) delete claims[claim];
  if (options.unsigned) return new jose.UnsecuredJWT(claims).encode();
  const key = options.key ?? client.key;
  if (!key) skip('needs --private-jwk: the key the given client signs request objects with');
  return new jose.SignJWT(claims).setProtectedHeader({ alg: options.alg ?? client.alg, kid: options.kid ?? (options.key ? undefined : client.kid), typ: 'oauth-authz-req+jwt' }).sign(key);
}
