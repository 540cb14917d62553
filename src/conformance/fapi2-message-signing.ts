// FAPI 2.0 Message Signing, the fapi2 plan with --message-signing: authorization requests in signed request objects
// (JAR, RFC 9101) pushed through PAR, refused when unsigned, signed with another key, expired or living too long;
// where the deployment offers JARM (response_mode=jwt), authorization responses as signed JWTs, verified here as a
// relying party must: signature against the JWKS with a FAPI algorithm, iss, aud, exp.
import * as jose from 'jose';
import { expect, expectEqual, skip } from './check-report.js';
import { fapiAlgs, usesJarm } from './fapi2-client.js';
import type { Fapi2Context, PushOptions } from './fapi2-context.js';
import type { Flow, Harness } from './harness.js';

type Check = <T>(name: string, run: () => Promise<T> | T) => Promise<T | undefined>;

export async function messageSigningDiscoveryCheck(h: Harness, check: Check): Promise<void> {
  const m = await h.metadata();
  const list = (key: string) => (m[key] as string[] | undefined) ?? [];
  await check('Message Signing: signed request objects are offered with FAPI algorithms (request_object_signing_alg_values_supported)', () => {
    expect(list('request_object_signing_alg_values_supported').some((alg) => fapiAlgs.includes(alg)), 'no FAPI algorithm for request objects');
  });
  await check('Message Signing: JARM is offered with FAPI algorithms (response_modes_supported jwt, authorization_signing_alg_values_supported)', () => {
    if (!usesJarm(h, m)) skip(`JARM is not offered (response_modes_supported: ${list('response_modes_supported').join(', ')}): responses stay plain`);
    expect(list('authorization_signing_alg_values_supported').some((alg) => fapiAlgs.includes(alg)), 'no FAPI algorithm for JARM (authorization_signing_alg_values_supported)');
  });
}

/** JARM §2.1, §2.4: the response JWT verified as a relying party verifies it; its claims */
export async function verifiedJarm(h: Harness, response: string | null, clientId: string): Promise<jose.JWTPayload> {
  expect(response, 'no `response` parameter: the response is not JARM');
  const { alg, kid } = jose.decodeProtectedHeader(response);
  expect(alg && fapiAlgs.includes(alg), `signed with ${String(alg)}, not a FAPI algorithm`);
  const keys = await h.jwks();
  if (kid) expect(keys.keys.some((key) => key.kid === kid), `kid ${kid} is not in the JWKS`);
  const { payload } = await jose.jwtVerify(response, jose.createLocalJWKSet(keys), { issuer: String((await h.metadata()).issuer), audience: clientId, algorithms: [alg], requiredClaims: ['exp'] })
    .catch((error: Error) => { throw new Error(`the response JWT does not verify (signature, iss, aud, exp): ${error.message}`); });
  return payload;
}

export async function messageSigningChecks(c: Fapi2Context, flow: Flow | undefined): Promise<void> {
  const { h, m, client, check } = c;
  const noJarm = () => skip('JARM is not offered (response_modes_supported has no jwt)');
  await check('JARM: the response is a JWT alone, signed with a FAPI algorithm by a key of the JWKS, with iss, aud = client_id, exp, the code and the state', async () => {
    if (!usesJarm(h, m)) noJarm();
    if (!flow) skip('no response: the sign-in did not pass');
    expectEqual([...flow.callback.params.keys()].join(','), 'response', 'the parameters at the redirect URI');
    const claims = await verifiedJarm(h, flow.callback.params.get('response'), client.clientId);
    expect(typeof claims.code === 'string', 'no code in the response');
    expectEqual(claims.state, flow.state, 'state');
  });
  await check('JARM: an error (prompt=none without a session) comes signed too: login_required with the state', async () => {
    if (!usesJarm(h, m)) noJarm();
    const fresh = await h.session();
    try {
      const { challenge } = await c.pkce();
      const params: Record<string, string> = { ...c.base(), prompt: 'none', code_challenge: challenge, code_challenge_method: 'S256' };
      const pushed = await c.push(params);
      expectEqual(pushed.status, 201, `PAR: HTTP status (${String(pushed.body.error ?? '')})`);
      const callback = await c.authorize(pushed.body.request_uri, fresh);
      const claims = await verifiedJarm(h, callback.params.get('response'), client.clientId);
      expectEqual(claims.error, 'login_required', 'error');
      expectEqual(claims.state, params.state, 'state');
    } finally {
      await fresh.close();
    }
  });

  const refused = async (options: PushOptions, error = 'invalid_request_object') => {
    const { challenge } = await c.pkce();
    const { status, body } = await c.push({ ...c.base(), code_challenge: challenge, code_challenge_method: 'S256' }, options);
    expectEqual(status, 400, `HTTP status (${String(body.error ?? '')})`);
    expectEqual(body.error, error, 'error');
  };
  await check('JAR: plain parameters are refused where signed request objects are required (invalid_request)', async () => {
    // the harness registers its client with require_signed_request_object; a given one is only known to need them
    // when the deployment requires them of every client
    if (h.options.clientId && m.require_signed_request_object !== true) skip('the given client may accept plain parameters: the deployment does not advertise require_signed_request_object');
    await refused({ plain: true }, 'invalid_request');
  });
  await check('JAR: an unsigned request object (alg none) is refused (invalid_request_object)', () => refused({ requestObject: { unsigned: true } }));
  await check('JAR: a request object signed with a key the client did not register is refused (invalid_request_object)', async () => {
    const stranger = await jose.generateKeyPair(client.alg);
    await refused({ requestObject: { key: stranger.privateKey, kid: client.kid } });
  });
  await check('JAR: an expired request object is refused (invalid_request_object)', () => refused({ requestObject: { nbfOffset: -600, lifetime: 60 } }));
  await check('JAR: a request object whose aud is not the issuer is refused (invalid_request_object)', () => refused({ requestObject: { aud: c.endpoint('pushed_authorization_request_endpoint') } }));
  await check('JAR: a request object without nbf, or valid for more than 60 minutes, is refused (FAPI 2.0 Message Signing §5.3.1)', async () => {
    await refused({ requestObject: { omit: ['nbf'] } });
    await refused({ requestObject: { lifetime: 3660 } });
  });
}
