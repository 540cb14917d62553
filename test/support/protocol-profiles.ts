// Switching a tenant's protocol profiles and registering clients with protocol metadata, as an operator would
// (CLI), plus the openid-client calls a relying party makes for PAR, JAR and the other profiles.
import { randomBytes } from 'node:crypto';
import { cliJson, redirectUri } from './fixtures.js';
import { Browser } from './browser.js';
import { oidc, signIn, type Credentials } from './relying-party.js';
import type { TesseraProcess } from './tessera-process.js';

/** a JSON merge patch of the tenant's `protocol` settings */
export async function setProtocol(server: TesseraProcess, slug: string, protocol: Record<string, unknown>, other: Record<string, unknown> = {}) {
  return cliJson<Record<string, any>>(server, ['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify({ ...other, protocol })]);
}

/** `tessera tenant settings --set` expected to fail: its message */
export async function settingsRefusal(server: TesseraProcess, slug: string, patch: Record<string, unknown>): Promise<string> {
  const result = await server.cli(['tenant', 'settings', '--tenant', slug, '--set', JSON.stringify(patch)]);
  if (result.code === 0) throw new Error('the settings change was expected to be refused');
  return result.stderr;
}

export async function createProtocolClient(server: TesseraProcess, slug: string, metadata: Record<string, unknown>, extra: string[] = [], redirect = redirectUri) {
  return cliJson<{ client_id: string; client_secret: string | null }>(server, [
    'client', 'create', '--tenant', slug, '--name', `App ${randomBytes(3).toString('hex')}`, '--redirect-uri', redirect,
    '--metadata', JSON.stringify(metadata), ...extra,
  ]);
}

/** `tessera client create` expected to fail: its message */
export async function clientRefusal(server: TesseraProcess, slug: string, metadata: Record<string, unknown>, extra: string[] = []): Promise<string> {
  const result = await server.cli(['client', 'create', '--tenant', slug, '--name', 'Refused', '--redirect-uri', redirectUri, '--metadata', JSON.stringify(metadata), ...extra]);
  if (result.code === 0) throw new Error(`the client was expected to be refused: ${result.stdout}`);
  return result.stderr;
}

export interface Started { url: URL; codeVerifier: string; state: string; nonce: string }

export function startParameters(extra: Record<string, string> = {}) {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  return {
    codeVerifier, state, nonce,
    params: async () => ({ redirect_uri: redirectUri, scope: 'openid email', code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256', state, nonce, ...extra }),
  };
}

/** signs in through the hosted pages from an authorization URL and redeems the code */
export async function finishCodeFlow(config: oidc.Configuration, user: Credentials, start: { url: URL; codeVerifier: string; state: string; nonce: string }, options: oidc.AuthorizationCodeGrantOptions = {}, redirect = redirectUri) {
  const callback = await signIn(new Browser(), start.url, redirect, user);
  const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce, idTokenExpected: true }, undefined, options);
  return { callback, tokens };
}
