// OpenID Connect Config OP (OpenID Connect Discovery 1.0): the discovery document and the key set.
import { expect, expectEqual, skip } from './check-report.js';
import type { Harness } from './harness.js';

const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const isLoopback = (url: URL) => ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);

export async function configPlan(h: Harness): Promise<void> {
  const plan = 'config';
  const check = <T>(name: string, run: () => Promise<T> | T) => h.report.check(plan, name, run);
  const discoveryUrl = `${h.issuer.href.replace(/\/$/, '')}/.well-known/openid-configuration`;

  const ok = await check('discovery document is served as JSON at {issuer}/.well-known/openid-configuration', async () => {
    const response = await fetch(discoveryUrl);
    expectEqual(response.status, 200, 'HTTP status');
    expect(/^application\/json/.test(response.headers.get('content-type') ?? ''), `content-type ${response.headers.get('content-type')}`);
    await response.json();
    return true;
  });
  if (!ok) return;
  const m = await h.metadata();
  const list = (key: string) => (Array.isArray(m[key]) ? m[key] as string[] : undefined);

  await check('issuer is exactly the URL the discovery document was fetched for (Discovery §4.3)', () => expectEqual(m.issuer, h.options.issuer, 'issuer'));
  await check('issuer and endpoints use https', () => {
    const urls = Object.entries(m).filter(([key, value]) => (key === 'issuer' || key.endsWith('_endpoint') || key.endsWith('_uri')) && typeof value === 'string');
    if (h.issuer.protocol === 'http:' && isLoopback(h.issuer)) skip('a loopback http issuer (development); certification needs https');
    for (const [key, value] of urls) expect(String(value).startsWith('https://'), `${key} ${value} is not https`);
  });
  await check('REQUIRED metadata is present (Discovery §3)', () => {
    for (const key of ['authorization_endpoint', 'jwks_uri', 'token_endpoint', 'userinfo_endpoint']) expect(typeof m[key] === 'string', `${key} is missing`);
    for (const key of ['response_types_supported', 'subject_types_supported', 'id_token_signing_alg_values_supported']) expect(list(key)?.length, `${key} is missing or empty`);
  });
  await check('endpoints are under the issuer\'s origin', () => {
    for (const key of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri']) {
      expectEqual(new URL(String(m[key])).origin, h.issuer.origin, `${key} origin`);
    }
  });
  await check('response_types_supported includes code; subject_types_supported names only public/pairwise', () => {
    expect(list('response_types_supported')!.includes('code'), 'code is not supported');
    for (const type of list('subject_types_supported')!) expect(type === 'public' || type === 'pairwise', `unknown subject type ${type}`);
  });
  await check('id_token_signing_alg_values_supported includes RS256 and never none (Discovery §3)', () => {
    const algs = list('id_token_signing_alg_values_supported')!;
    if (m.fapi !== undefined || (!algs.includes('RS256') && algs.every((alg) => ['PS256', 'ES256', 'EdDSA', 'Ed25519'].includes(alg)))) {
      expect(!algs.includes('none'), 'none is advertised');
      skip('a FAPI-style algorithm list (PS256/ES256/EdDSA only): RS256 is excluded on purpose');
    }
    expect(algs.includes('RS256'), `RS256 missing from ${algs.join(', ')}`);
    expect(!algs.includes('none'), 'none is advertised');
  });
  await check('scopes_supported includes openid; claims_supported is listed', () => {
    expect(list('scopes_supported')?.includes('openid'), 'openid is not in scopes_supported');
    expect(list('claims_supported')?.includes('sub'), 'claims_supported does not list sub');
  });
  await check('grant types, auth methods and PKCE are advertised coherently', () => {
    const grants = list('grant_types_supported') ?? ['authorization_code', 'implicit'];
    expect(grants.includes('authorization_code'), 'authorization_code is not in grant_types_supported');
    const methods = list('token_endpoint_auth_methods_supported') ?? ['client_secret_basic'];
    expect(methods.length > 0, 'no token endpoint authentication method');
    expect(list('code_challenge_methods_supported')?.includes('S256'), 'S256 is not in code_challenge_methods_supported');
    expect(!list('code_challenge_methods_supported')!.includes('plain'), 'plain PKCE is advertised (RFC 9700 §2.1.1)');
  });
  await check('response_modes_supported includes query (and fragment when implicit/hybrid are offered)', () => {
    const modes = list('response_modes_supported');
    if (!modes) skip('response_modes_supported is not published (defaults to query, fragment)');
    expect(modes.includes('query'), 'query is missing');
    if (list('response_types_supported')!.some((type) => type !== 'code')) expect(modes.includes('fragment'), 'fragment is missing');
  });
  await check('RFC 9207: authorization_response_iss_parameter_supported', () => {
    if (m.authorization_response_iss_parameter_supported === undefined) skip('not advertised (optional)');
    expectEqual(m.authorization_response_iss_parameter_supported, true, 'authorization_response_iss_parameter_supported');
  });

  const keys = await check('jwks_uri serves a JSON Web Key Set', async () => {
    const response = await fetch(String(m.jwks_uri));
    expectEqual(response.status, 200, 'HTTP status');
    expect(/json/.test(response.headers.get('content-type') ?? ''), `content-type ${response.headers.get('content-type')}`);
    const set = await response.json() as { keys?: Array<Record<string, unknown>> };
    expect(Array.isArray(set.keys) && set.keys.length > 0, 'keys is missing or empty');
    return set.keys!;
  });
  if (!keys) return;
  await check('no private or symmetric key material in the JWKS', () => {
    for (const key of keys) {
      const leaked = privateMembers.filter((member) => member in key);
      expect(!leaked.length, `key ${key.kid}: ${leaked.join(', ')} published`);
      expect(key.kty !== 'oct', `key ${key.kid} is a symmetric key`);
    }
  });
  await check('signing keys carry a kid, unique per key type and use; use is sig or enc', () => {
    const seen = new Set<string>();
    for (const key of keys) {
      expect(typeof key.kid === 'string' && key.kid.length > 0, 'a key has no kid');
      const id = `${key.kty}/${key.use ?? ''}/${key.alg ?? ''}/${key.kid}`;
      expect(!seen.has(id), `kid ${key.kid} appears twice for ${key.kty}`);
      seen.add(id);
      if (key.use !== undefined) expect(key.use === 'sig' || key.use === 'enc', `key ${key.kid} use ${key.use}`);
    }
  });
  await check('every advertised ID Token algorithm (but HS*) has a key', () => {
    const algs = list('id_token_signing_alg_values_supported')!.filter((alg) => !alg.startsWith('HS') && alg !== 'none');
    const family = (alg: string) => (alg.startsWith('RS') || alg.startsWith('PS') ? 'RSA' : alg.startsWith('ES') ? 'EC' : 'OKP');
    for (const alg of algs) expect(keys.some((key) => key.alg === alg || (!key.alg && key.kty === family(alg))), `no key for ${alg}`);
  });
}
