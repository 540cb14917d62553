// The app calling the backend OTP API, from `app_id` and `app_secret` in the JSON body (never headers): the tenant
// follows from the app id (`<tenant-slug>.<random>`, clients.service.ts), the app must have the headless
// capability, and the secret is compared in constant time. Every failure is the same answer.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Client } from 'oidc-provider';
import type Provider from 'oidc-provider';
import { AppError } from '../errors/app-error.js';
import type { CourierTenant } from '../notifications/courier.js';
import type { TenantProviders } from '../oidc/tenant-providers.js';

export interface CallingApp {
  /** `issuer`: the tenant's (or environment's) issuer URL, built from PUBLIC_URL (tenants/issuer.ts) */
  tenant: CourierTenant & { readonly issuer: string };
  provider: Provider;
  client: Client;
  appId: string;
  appSecret: string;
  appSlug: string;
}

const appIdSyntax = /^([a-z][a-z0-9-]{1,39}(?:~[a-z][a-z0-9-]{1,29})?)\.[A-Za-z0-9_-]{16}$/;
const sha = (value: string) => createHash('sha256').update(value).digest();

/** @throws AppError('app.invalid_credentials') */
export async function authenticateApp(providers: TenantProviders, body: Record<string, unknown>): Promise<CallingApp> {
  const { app_id: appId, app_secret: appSecret } = body;
  const refused = new AppError('app.invalid_credentials');
  if (typeof appId !== 'string' || typeof appSecret !== 'string' || appSecret.length > 256) throw refused;
  const slug = appIdSyntax.exec(appId)?.[1];
  const resolved = slug ? await providers.get(slug) : null;
  const client = resolved ? await resolved.provider.Client.find(appId) : undefined;
  const app = client as unknown as { headless?: boolean; app_slug?: string; clientSecret?: string } | undefined;
  // digests of equal length: the comparison takes the same time whatever the lengths
  const matches = timingSafeEqual(sha(appSecret), sha(app?.clientSecret ?? `\0${appSecret}`));
  if (!resolved || !client || !app?.headless || !app.app_slug || !matches) throw refused;
  return { tenant: { ...resolved.tenant, branding: resolved.tenant.settings.branding }, provider: resolved.provider, client, appId, appSecret, appSlug: app.app_slug };
}
