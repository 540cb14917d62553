// What a tenant's provider is built from and what it is: the types tenant-providers.ts (the cache) and
// tenant-provider-instance.ts (the builder, loaded on first use) share, apart so that neither imports the other's
// module for them.
import type { RedeemLogin } from './login-transaction-grant.js';
import type { Configuration, Provider } from 'oidc-provider';
import type { Logger } from 'pino';
import type { KvStore } from '../store/kv-store.js';
import type { TenantsRepository } from '../db/tenants.repository.js';
import type { TenantSettings } from '../tenants/tenant-settings.js';
import type { SigningKeys } from '../tenants/signing-keys.js';
import type { RevokedAccessTokens } from './revoked-access-tokens.js';
import type { ProviderPages } from './provider-config.js';
import type { UserLookup } from './find-account.js';
import type { ProtocolAudit } from './protocol-audit.js';
import type { MtlsHeaders } from './mtls-certificate.js';
import type { ClaimsFor } from './rbac-claims.js';
import type { SessionActivityRepository } from '../db/session-activity.repository.js';
import type { RateLimiter } from '../store/rate-limiter.js';

export interface TenantContext {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly issuer: string;
  /** `live` for the tenant itself, else the environment's name (issue #19) */
  readonly environment: string;
  /** the tenant (live environment) this environment belongs to: its own slug for live */
  readonly tenantSlug: string;
  readonly settings: TenantSettings;
}

export interface TenantProvider {
  readonly tenant: TenantContext;
  readonly provider: Provider;
}

export interface TenantProvidersDeps {
  publicUrl: URL;
  cookieSecrets: readonly string[];
  /** how the provider's own outbound calls leave (net/outbound-guard.ts) */
  outboundFetch: typeof fetch;
  /** the tenant's DPoP nonce secret, 32 bytes, the same in every process */
  dpopNonceSecret(tenantId: string): Buffer;
  /** the TLS proxy's client certificate headers, when the deployment passes them (MTLS_CERT_HEADER) */
  mtls?: MtlsHeaders;
  /** records protocol events (tokens, replays, revocations, logouts) in the audit log */
  protocolAudit?: ProtocolAudit;
  /** told of each successful token endpoint request (metrics) */
  onTokenIssued?(grantType: string): void;
  /** describes each session: device, IP, method, last activity (issue #6) */
  sessionActivity?: SessionActivityRepository;
  maxSize: number;
  tenants: TenantsRepository;
  keys: SigningKeys;
  store: KvStore;
  /** JWT access tokens revoked before they expire */
  revokedAccessTokens: RevokedAccessTokens;
  /** the tenant's oidc-provider adapter; may be loaded on first use */
  adapterFor(tenantId: string): NonNullable<Configuration['adapter']> | Promise<NonNullable<Configuration['adapter']>>;
  usersFor(tenantId: string): UserLookup;
  rbac: { apiPermissions(tenantId: string): Promise<Map<string, string[]>>; claimsFor: ClaimsFor; rolesOfUser(tenant: { id: string; slug: string }, userId: string): Promise<string[]> };
  pages: ProviderPages;
  /** limits user-code attempts at the device verification page */
  limiter: RateLimiter;
  logger: Logger;
  revalidateMs?: number;
  /** takes a completed login transaction for the token endpoint's login-transaction grant (issue #16) */
  redeemLogin?: RedeemLogin;
}
