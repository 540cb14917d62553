// Protocol events into the audit log (issue #6): tokens issued and refreshed at the token endpoint, refused grants
// (a used code or refresh token presented again is a replay: the grant is revoked), grants revoked, logouts.
// Listeners of each tenant's provider; they record who (subject, client), from where (IP, user agent) and the
// outcome — never a token. Machine tokens (client_credentials) can come by the thousand a second: they are counted
// per client and recorded as one entry per client per window (`data.count`), so the log keeps up with the endpoint.
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AuditLog } from '../audit/audit-log.js';
import type { ExchangeRecord } from './token-exchange.js';

const MACHINE_WINDOW_MS = 10_000;

interface MachineTally { tenantId: string; clientId: string; count: number; from: Date; ip: string | null; userAgent: string | null }

export function createProtocolAudit(audit: AuditLog) {
  // tenant → client → this window's tally (no joined key string per token); the first token's IP and user agent
  const tallies = new Map<string, Map<string, MachineTally>>();
  let timer: NodeJS.Timeout | null = null;

  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    for (const clients of tallies.values()) for (const tally of clients.values()) {
      void audit.record({
        tenantId: tally.tenantId, type: 'token.issued', actor: tally.clientId, clientId: tally.clientId, ip: tally.ip, userAgent: tally.userAgent,
        data: { grantType: 'client_credentials', count: tally.count, from: tally.from.toISOString(), to: new Date().toISOString() },
      });
    }
    tallies.clear();
  }

  function countMachineToken(tenantId: string, clientId: string, ctx: KoaContextWithOIDC) {
    let clients = tallies.get(tenantId);
    if (!clients) tallies.set(tenantId, (clients = new Map()));
    const tally = clients.get(clientId);
    if (tally) tally.count += 1;
    else clients.set(clientId, { tenantId, clientId, count: 1, from: new Date(), ip: ctx.ip, userAgent: ctx.get('user-agent') || null });
    if (!timer) {
      timer = setTimeout(flush, MACHINE_WINDOW_MS);
      timer.unref();
    }
  }

  return {
    /** records what this tenant's provider does */
    attach(provider: Provider, tenantId: string): void {
      const origin = (ctx: KoaContextWithOIDC) => ({ ip: ctx.ip, userAgent: ctx.get('user-agent') || null });
      const clientOf = (ctx: KoaContextWithOIDC) => ctx.oidc?.client?.clientId ?? null;

      provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
        const { oidc } = ctx;
        const grantType = String(oidc.params?.grant_type ?? '');
        const machine = grantType === 'client_credentials' ? oidc.client?.clientId : undefined;
        if (machine) return countMachineToken(tenantId, machine, ctx);
        // RFC 8693: who acts for whom, and for which API (token-exchange.ts)
        const exchange = (ctx.state as { tokenExchange?: ExchangeRecord } | undefined)?.tokenExchange;
        const subject = ctx.oidc.entities?.Account?.accountId ?? exchange?.subject ?? null;
        void audit.record({
          tenantId, type: exchange ? 'token.exchanged' : grantType === 'refresh_token' ? 'token.refreshed' : 'token.issued',
          actor: exchange ? (exchange.actor ?? clientOf(ctx)) : subject ?? clientOf(ctx), subject, clientId: clientOf(ctx),
          ...origin(ctx), data: exchange ? { grantType, mode: exchange.mode, resource: exchange.resource, scope: exchange.scope, ...(exchange.fromEnvironment ? { fromEnvironment: exchange.fromEnvironment } : {}) } : { grantType },
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

      // RFC 7591/7592: clients that registered themselves, and what they did with their registration
      for (const [event, type] of [['registration_create.success', 'client.registered'], ['registration_update.success', 'client.registration_updated'], ['registration_delete.success', 'client.registration_deleted']] as const) {
        (provider.on as (name: string, listener: (ctx: KoaContextWithOIDC, client?: { clientId: string }) => void) => void).call(provider, event, (ctx, client) => {
          const clientId = client?.clientId ?? clientOf(ctx);
          void audit.record({ tenantId, type, actor: clientId, subject: clientId ? `client:${clientId}` : null, clientId, ...origin(ctx) });
        });
      }

      provider.on('grant.revoked', (ctx: KoaContextWithOIDC) => {
        void audit.record({ tenantId, type: 'grant.revoked', clientId: clientOf(ctx), ...origin(ctx), data: { route: ctx.oidc?.route ?? null } });
      });

      provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
        const subject = ctx.oidc?.session?.accountId ?? null;
        void audit.record({ tenantId, type: 'logout', actor: subject, subject, clientId: clientOf(ctx), ...origin(ctx) });
      });
    },
    /** records the machine-token counts so far (shutdown) */
    flush,
  };
}

export type ProtocolAudit = ReturnType<typeof createProtocolAudit>;
