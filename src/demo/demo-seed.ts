// First start in development: a `demo` tenant with a user and a client, announced once on the console.
// The password and client secret exist in plain text only in that message (both are stored hashed/sealed).
import { randomBytes } from 'node:crypto';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';

export interface DemoInfo {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  email: string;
  password: string;
  authorizationUrl: string;
}

export const demoSlug = 'demo';

/** @returns what was created, or null when the demo tenant already exists */
export async function seedDemo(services: Pick<Services, 'tenants' | 'users' | 'clients' | 'clientValidator' | 'config'>): Promise<DemoInfo | null> {
  if (await services.tenants.find(demoSlug)) return null;
  const origin = services.config.publicUrl.origin;
  let tenant;
  try {
    tenant = await services.tenants.create({ slug: demoSlug, name: 'Demo Company' });
  } catch (error) {
    // another process starting on the same database seeded it first: that one prints the banner
    if (error instanceof AppError && error.code === 'tenant.slug_taken') return null;
    throw error;
  }
  const password = `demo-${randomBytes(9).toString('base64url')}`;
  const email = 'demo@example.com';
  await services.users.create(tenant.id, { email, password, name: 'Dana Demo', emailVerified: true });
  const redirectUri = `${origin}/demo/callback`;
  const client = await services.clients.create(tenant.id, {
    name: 'Demo App',
    redirectUris: [redirectUri],
    postLogoutRedirectUris: [`${origin}/demo/signed-out`],
    grants: ['authorization_code', 'refresh_token'],
    firstParty: true,
  }, await services.clientValidator(demoSlug));
  const url = new URL(`${tenant.issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: client.client_id,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid profile email',
    state: randomBytes(8).toString('base64url'),
    nonce: randomBytes(8).toString('base64url'),
  }).toString();
  return { issuer: tenant.issuer, clientId: client.client_id, clientSecret: client.client_secret!, redirectUri, email, password, authorizationUrl: url.href };
}

export function demoBanner(demo: DemoInfo): string {
  return `
  ┌─ Tessera demo (shown once: the password and secret are stored only hashed/encrypted) ─
  │ Issuer         ${demo.issuer}
  │ Discovery      ${demo.issuer}/.well-known/openid-configuration
  │ Client id      ${demo.clientId}
  │ Client secret  ${demo.clientSecret}
  │ Redirect URI   ${demo.redirectUri}
  │ User           ${demo.email} / ${demo.password}
  │
  │ Open this in a browser to sign in:
  │ ${demo.authorizationUrl}
  └──────────────────────────────────────────────────────────────────────────────────────
`;
}
