// What the sign-in method routes share. Built once in app.ts.
import type { Context } from 'koa';
import { translatorFor, type PageTenant } from '../http/pages.js';
import { requestInfo } from '../http/request-info.js';
import type { Locale } from '../i18n/i18n.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { UsersService } from '../accounts/users.service.js';
import type { OidcModelsRepository } from '../db/oidc-models.repository.js';
import type { Courier } from '../notifications/courier.js';
import type { TenantChannels } from '../notifications/tenant-channels.js';
import type { KvStore } from '../store/kv-store.js';
import type { InteractionContext } from '../interactions/interaction-context.js';
import type { CodeChallenges } from './one-time-codes/code-challenges.js';
import type { OneTimeCodes } from './one-time-codes/one-time-codes.js';
import type { AccountLinking } from './federated/account-linking.js';
import type { MfaRepository } from '../db/mfa.repository.js';

export interface AuthMethodDeps {
  ix: InteractionContext;
  challenges: CodeChallenges;
  codes: OneTimeCodes;
  users: UsersService;
  audit: AuditLog;
  courier: Courier;
  channels: TenantChannels;
  store: KvStore;
  oidcModels: OidcModelsRepository;
  linking: AccountLinking;
  mfa: MfaRepository;
  env: 'development' | 'production' | 'test';
  publicOrigin: string;
  /** the clock codes and MFA read (ms); services.now */
  now: () => number;
}

/** requestInfo and the language of the page that asks for a message: the email or SMS is written in it */
export function sendingRequest(ctx: Context): { ip: string; userAgent: string | null; locale: Locale } {
  return { ...requestInfo(ctx), locale: translatorFor(ctx, (ctx.state.tenant as PageTenant | undefined) ?? null).locale };
}

/**
 * A send refused by the limits (send-limits.ts): sets Retry-After (RFC 9110 §10.2.3) and gives the message the page
 * shows, for the caller to render with status 429.
 */
export function tooManyCodes(ctx: Context, retryAfterSeconds: number): string {
  ctx.set('Retry-After', String(retryAfterSeconds));
  return translatorFor(ctx, (ctx.state.tenant as PageTenant | undefined) ?? null).t('code.tooMany', { count: Math.ceil(retryAfterSeconds / 60) });
}

/** "d•••@example.com", "+44 ••• 0123": enough for the user to recognise, not enough to harvest */
export function maskDestination(identifier: string): string {
  const at = identifier.indexOf('@');
  if (at > 0) return `${identifier[0]}•••${identifier.slice(at)}`;
  return `${identifier.slice(0, 3)} ••• ${identifier.slice(-4)}`;
}

/** a short description of a browser for "was this you?" questions */
export function deviceOf(userAgent: string | null): string {
  const ua = userAgent ?? '';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrome\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'a browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : 'an unknown system';
  return `${browser} on ${os}`;
}
