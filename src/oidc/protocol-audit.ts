// Protocol events into the audit log (issue #6): tokens issued and refreshed at the token endpoint, refused grants
// (a used code or refresh token presented again is a replay: the grant is revoked), grants revoked, logouts.
// Listeners of the tenant's provider; they record who (subject, client), from where (IP, user agent) and the
// outcome — never a token.
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AuditLog } from '../audit/audit-log.js';

export function auditProtocolEvents(provider: Provider, tenantId: string, audit: AuditLog): void {
  const origin = (ctx: KoaContextWithOIDC) => ({ ip: ctx.ip, userAgent: ctx.get('user-agent') || null });
  const clientOf = (ctx: KoaContextWithOIDC) => ctx.oidc?.client?.clientId ?? null;

  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const grantType = String(ctx.oidc.params?.grant_type ?? '');
    const subject = ctx.oidc.entities?.Account?.accountId ?? null;
    void audit.record({
      tenantId, type: grantType === 'refresh_token' ? 'token.refreshed' : 'token.issued', actor: subject ?? clientOf(ctx), subject, clientId: clientOf(ctx),
      ...origin(ctx), data: { grantType },
    });
  });

  provider.on('grant.error', (ctx: KoaContextWithOIDC, error: Error & { error?: string; error_detail?: string }) => {
    const grantType = String(ctx.oidc?.params?.grant_type ?? '');
    // InvalidGrant keeps its reason in error_detail ("refresh token already used"), never sent to the client
    const replay = error.error === 'invalid_grant' && /already used/.test(error.error_detail ?? error.message);
    void audit.record({
      tenantId, type: replay ? 'token.replay_detected' : 'token.refused', clientId: clientOf(ctx), ...origin(ctx), outcome: 'failure',
      data: { grantType, error: error.error ?? 'server_error', ...(replay ? { grantRevoked: true } : {}) },
    });
  });

  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    void grantId;
    void audit.record({ tenantId, type: 'grant.revoked', clientId: clientOf(ctx), ...origin(ctx), data: { route: ctx.oidc?.route ?? null } });
  });

  provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
    const subject = ctx.oidc?.session?.accountId ?? null;
    void audit.record({ tenantId, type: 'logout', actor: subject, subject, clientId: clientOf(ctx), ...origin(ctx) });
  });
}
