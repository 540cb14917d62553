// A user's sessions as users and admins see them (issue #6), and revoking them. Revoking a session ends the
// provider session, revokes every grant made in it (refresh tokens, access tokens, codes) and sends an OpenID
// Back-Channel Logout token to each client of the session registered for it.
import type { Logger } from 'pino';
import type { TenantProviders } from '../oidc/tenant-providers.js';
import type { SessionActivityRepository } from '../db/session-activity.repository.js';
import type { OidcModelsRepository } from '../db/oidc-models.repository.js';
import { AppError } from '../errors/app-error.js';
import { revokeAccount, revokeGrant } from '../oidc/account-revocation.js';
import type { TenantRef } from '../rbac/rbac.service.js';
import { parseUserAgent } from './user-agent.js';

export type { TenantRef };

export interface SessionView {
  /** the session's uid: stable, and not the cookie value */
  readonly id: string;
  readonly browser: string;
  readonly os: string;
  readonly device: string;
  readonly ip: string | null;
  /** RFC 8176 methods of the session's last sign-in, e.g. ["pwd","otp","mfa"] */
  readonly amr: string[];
  readonly acr: string | null;
  readonly roles: string[];
  /** client ids the session signed in to */
  readonly clients: string[];
  readonly createdAt: string;
  readonly lastActiveAt: string;
  readonly expiresAt: string | null;
}

interface Authorization { sid?: string; grantId?: string }

export interface SessionsDeps {
  providers: TenantProviders;
  activity: SessionActivityRepository;
  oidcModels: OidcModelsRepository;
  rolesOf(tenant: TenantRef, userId: string): Promise<string[]>;
  logger: Logger;
}

export function createSessions(deps: SessionsDeps) {
  async function providerOf(tenant: TenantRef) {
    const resolved = await deps.providers.get(tenant.slug);
    if (!resolved) throw new AppError('tenant.not_found');
    return resolved.provider;
  }

  /** @returns whether the session existed and belonged to the user */
  async function revoke(tenant: TenantRef, userId: string, uid: string): Promise<{ backchannel: { clientId: string; delivered: boolean }[] } | null> {
    const provider = await providerOf(tenant);
    const session = await provider.Session.findByUid(uid);
    if (!session || session.accountId !== userId) return null;
    const authorizations = (session.authorizations ?? {}) as Record<string, Authorization>;
    const backchannel: { clientId: string; delivered: boolean }[] = [];
    for (const [clientId, authorization] of Object.entries(authorizations)) {
      if (authorization.grantId) await revokeGrant(provider, deps.oidcModels, tenant.id, authorization.grantId);
      const client = await provider.Client.find(clientId).catch(() => undefined);
      if (client?.backchannelLogoutUri) {
        try {
          // oidc-provider's Client#backchannelLogout (the same call its end_session endpoint makes)
          await (client as unknown as { backchannelLogout(sub: string, sid: string): Promise<void> }).backchannelLogout(userId, authorization.sid ?? '');
          backchannel.push({ clientId, delivered: true });
        } catch (err) {
          // the session ends anyway; the client learns of it when its tokens stop working
          deps.logger.warn({ err: (err as Error).message, tenant: tenant.slug, clientId }, 'back-channel logout not delivered');
          backchannel.push({ clientId, delivered: false });
        }
      }
    }
    await session.destroy();
    await deps.activity.forget(tenant.id, [uid]);
    return { backchannel };
  }

  return {
    async list(tenant: TenantRef, userId: string): Promise<SessionView[]> {
      const sessions = await deps.activity.liveSessions(tenant.id, userId);
      const [activity, roles] = await Promise.all([
        deps.activity.forSessions(tenant.id, sessions.map((s) => s.uid)),
        deps.rolesOf(tenant, userId),
      ]);
      return sessions.map((session) => {
        const described = activity.find((a) => a.uid === session.uid);
        const payload = session.payload;
        const loginTs = typeof payload.loginTs === 'number' ? new Date(payload.loginTs * 1000) : null;
        const created = described?.createdAt ?? loginTs ?? new Date(0);
        return {
          id: session.uid,
          ...parseUserAgent(described?.userAgent),
          ip: described?.ip ?? null,
          amr: Array.isArray(payload.amr) ? (payload.amr as string[]) : (described?.amr ?? []),
          acr: typeof payload.acr === 'string' ? payload.acr : null,
          roles,
          clients: Object.keys((payload.authorizations ?? {}) as object),
          createdAt: created.toISOString(),
          lastActiveAt: (described?.lastActiveAt ?? created).toISOString(),
          expiresAt: session.expiresAt?.toISOString() ?? null,
        };
      }).sort((a, b) => b.lastActiveAt.localeCompare(a.lastActiveAt));
    },
    /** @throws AppError('session.not_found') */
    async revoke(tenant: TenantRef, userId: string, uid: string) {
      const result = await revoke(tenant, userId, uid);
      if (!result) throw new AppError('session.not_found');
      return result;
    },
    /** every session of the user, and every grant outside a session (offline refresh tokens) */
    async revokeAll(tenant: TenantRef, userId: string): Promise<{ sessions: number }> {
      const sessions = await deps.activity.liveSessions(tenant.id, userId);
      let count = 0;
      for (const session of sessions) if (await revoke(tenant, userId, session.uid)) count += 1;
      // what no session holds any more: offline refresh tokens and their grants
      await revokeAccount(await providerOf(tenant), deps.oidcModels, tenant.id, userId);
      return { sessions: count };
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
