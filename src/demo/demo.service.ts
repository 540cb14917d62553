// The development demo: a `demo` tenant with a user and a first-party client whose callback is this server's
// /demo/callback. Created on first start; at every start its client's URLs follow PUBLIC_URL (a new PORT keeps
// the demo working); `tessera demo` shows its details again and `--reset` gives it a new secret and password.
// The client secret is kept sealed like every secret; the password is never stored in plain text either: it is
// derived from the secret with a key of the installation (HKDF of KEY_ENCRYPTION_KEY), so it can be shown again
// without being kept, and a reset (new secret) changes both.
import { createHmac, randomBytes } from 'node:crypto';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import { deriveSecret } from '../crypto/sealing.js';
import { issuerFor } from '../tenants/issuer.js';

export const demoSlug = 'demo';
export const demoCallbackPath = '/demo/callback';
export const demoSignedOutPath = '/demo/signed-out';
const demoEmail = 'demo@example.com';
const demoClientName = 'Demo App';

export interface DemoInfo {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  email: string;
  /** null when someone changed the demo user's password since it was set (a reset sets a new one) */
  password: string | null;
  authorizationUrl: string;
}

export interface DemoState {
  info: DemoInfo;
  /** the tenant or its client was created, its client's URLs changed, or it was reset: worth announcing */
  changed: boolean;
}

export type DemoServices = Pick<Services, 'tenants' | 'users' | 'clients' | 'clientAdmin' | 'clientValidator' | 'config'>;

const sameList = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((v, i) => v === b[i]);
/** the demo's own URL among others an operator may have added, replaced by this origin's */
const withOwn = (uris: unknown, origin: string, path: string): string[] =>
  [...(Array.isArray(uris) ? uris.filter((u): u is string => typeof u === 'string' && !isOwn(u, path)) : []), `${origin}${path}`];
function isOwn(uri: string, path: string): boolean {
  try { return new URL(uri).pathname === path; } catch { return false; }
}

function demoPassword(services: DemoServices, clientSecret: string): string {
  const key = deriveSecret(services.config.keyEncryptionKeys[0]!, 'demo password');
  return `demo-${createHmac('sha256', key).update(clientSecret).digest('base64url').slice(0, 16)}`;
}

export function demoAuthorizationUrl(issuer: string, clientId: string, redirectUri: string): string {
  const url = new URL(`${issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid profile email',
    state: randomBytes(8).toString('base64url'),
    nonce: randomBytes(8).toString('base64url'),
  }).toString();
  return url.href;
}

/** a fresh authorization URL for the demo client, or null when there is no demo (read only: for links) */
export async function demoSignInUrl(services: Pick<Services, 'tenants' | 'clientAdmin' | 'config'>): Promise<string | null> {
  const tenant = await services.tenants.find(demoSlug);
  if (!tenant) return null;
  const client = (await services.clientAdmin.list(tenant.id)).find((c) => c.client_name === demoClientName);
  if (!client) return null;
  return demoAuthorizationUrl(tenant.issuer, client.client_id, `${services.config.publicUrl.origin}${demoCallbackPath}`);
}

/**
 * Creates the demo when missing, points its client at PUBLIC_URL, and with `reset` rotates its secret and password.
 * @returns null when another process starting at the same moment created the tenant (that one announces it)
 * @throws AppError('client.invalid_metadata') when PUBLIC_URL cannot be a redirect URI
 */
export async function ensureDemo(services: DemoServices, options: { reset?: boolean } = {}): Promise<DemoState | null> {
  const origin = services.config.publicUrl.origin;
  const redirectUri = `${origin}${demoCallbackPath}`;
  let changed = false;
  let tenant = await services.tenants.find(demoSlug);
  if (!tenant) {
    try {
      tenant = await services.tenants.create({ slug: demoSlug, name: 'Demo Company' });
    } catch (error) {
      if (error instanceof AppError && error.code === 'tenant.slug_taken') return null;
      throw error;
    }
    changed = true;
  }
  const validator = await services.clientValidator(demoSlug);

  let clientId: string;
  let secret: string | undefined;
  const existing = (await services.clientAdmin.list(tenant.id)).find((c) => c.client_name === demoClientName && c.has_secret);
  if (!existing) {
    const created = await services.clients.create(tenant.id, {
      name: demoClientName,
      redirectUris: [redirectUri],
      postLogoutRedirectUris: [`${origin}${demoSignedOutPath}`],
      grants: ['authorization_code', 'refresh_token'],
      firstParty: true,
    }, validator);
    clientId = created.client_id;
    secret = created.client_secret!;
    changed = true;
  } else {
    clientId = existing.client_id;
    const redirectUris = withOwn(existing.redirect_uris, origin, demoCallbackPath);
    const postLogoutRedirectUris = withOwn(existing.post_logout_redirect_uris, origin, demoSignedOutPath);
    if (!sameList(redirectUris, existing.redirect_uris as unknown[] ?? []) || !sameList(postLogoutRedirectUris, existing.post_logout_redirect_uris as unknown[] ?? [])) {
      await services.clientAdmin.update(tenant.id, clientId, { redirect_uris: redirectUris, post_logout_redirect_uris: postLogoutRedirectUris }, validator);
      changed = true;
    }
    if (options.reset) {
      secret = (await services.clientAdmin.rotateSecret(tenant.id, clientId)).client_secret;
      changed = true;
    } else {
      secret = (await services.clients.sourceFor(tenant.id).find(clientId))?.client_secret as string;
    }
  }

  const password = demoPassword(services, secret);
  const user = await services.users.findByEmail(tenant.id, demoEmail);
  let passwordKnown = true;
  if (!user) {
    await services.users.create(tenant.id, { email: demoEmail, password, name: 'Dana Demo', emailVerified: true });
  } else if (!existing || options.reset) {
    await services.users.setPasswordHash(user.id, await services.users.hashNewPassword(password, [demoEmail]));
  } else {
    passwordKnown = await services.users.passwordMatches(user, password);
  }

  const issuer = issuerFor(services.config.publicUrl, demoSlug);
  return {
    changed,
    info: {
      issuer, clientId, clientSecret: secret, redirectUri, email: demoEmail,
      password: passwordKnown ? password : null,
      authorizationUrl: demoAuthorizationUrl(issuer, clientId, redirectUri),
    },
  };
}
