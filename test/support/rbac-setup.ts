// RBAC set-up for the suites of issue #6: the services opened in the test process on the server's own database
// and Redis prefix (as the CLI does without the embedded database), so APIs, roles and assignments are made
// through services.rbac and the running server hears of API changes over Redis pub/sub. Plus the code flow
// that asks for an API's access token with RFC 8707 `resource`.
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/config.js';
import { createServices, type Services } from '../../src/services.js';
import { Browser } from './browser.js';
import { redirectUri } from './fixtures.js';
import { oidc, signIn, type Credentials } from './relying-party.js';
import type { TesseraProcess } from './tessera-process.js';

export async function openServices(server: TesseraProcess): Promise<Services> {
  return createServices(loadConfig(server.env), pino({ level: 'silent' }));
}

export async function tenantRef(services: Services, slug: string): Promise<{ id: string; slug: string }> {
  const tenant = await services.tenants.get(slug);
  return { id: tenant.id, slug: tenant.slug };
}

/**
 * Sign-in through the hosted pages with `resource` for each of `resources` at the authorization endpoint
 * (RFC 8707 §2.1), then the code redeemed for `tokenResource` (§2.2) when given.
 */
export async function signInForResources(config: oidc.Configuration, user: Credentials, options: { resources: string[]; tokenResource?: string; scope?: string; extra?: Record<string, string>; browser?: Browser }) {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const params = new URLSearchParams({
    redirect_uri: redirectUri,
    scope: options.scope ?? 'openid offline_access',
    prompt: 'consent',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...options.extra,
  });
  for (const resource of options.resources) params.append('resource', resource);
  const callback = await signIn(options.browser ?? new Browser(), oidc.buildAuthorizationUrl(config, params), redirectUri, user);
  return oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true },
    options.tokenResource ? { resource: options.tokenResource } : undefined);
}

/**
 * Waits until `probe` holds: for a change another process hears of over pub/sub. Fails after `seconds`,
 * far beyond the milliseconds it takes, and well under the 30 s every process re-checks on its own.
 */
export async function eventually(probe: () => Promise<boolean>, what: string, seconds = 10): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await probe())) {
    assert.ok(Date.now() < deadline, `not seen within ${seconds} s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
