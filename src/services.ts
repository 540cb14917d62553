// Composition root of the domain: opens the stores and builds every service from explicit dependencies.
// The HTTP server (app.ts) and the CLI (direct mode) both start here.
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { databaseTarget } from './config/config.js';
import { productionDetected } from './config/development-mode.js';
import { openDatabase, type Database } from './db/database.js';
import { migrate, pendingMigrations } from './db/migrate.js';
import { createTenantsRepository } from './db/tenants.repository.js';
import { createSigningKeysRepository } from './db/signing-keys.repository.js';
import { createClientsRepository } from './db/clients.repository.js';
import { createUsersRepository } from './db/users.repository.js';
import { createIdentitiesRepository } from './db/identities.repository.js';
import { createMfaRepository } from './db/mfa.repository.js';
import { createProtocolAudit } from './oidc/protocol-audit.js';
import { createPasskeysRepository } from './db/passkeys.repository.js';
import { createFactors } from './auth-methods/mfa/factors.service.js';
import { createSmsFactor } from './auth-methods/mfa/sms-factor.js';
import { createWebAuthnService } from './auth-methods/passkeys/webauthn.service.js';
import { createLoginChallenges } from './auth-methods/login-challenges.js';
import { createEmailVerificationStep } from './auth-methods/password/email-verification.step.js';
import { createConnections } from './auth-methods/federated/connections.js';
import { createFederationStore } from './auth-methods/federated/federation-store.js';
import { createAccountLinking } from './auth-methods/federated/account-linking.js';
import { createOidcModelsRepository } from './db/oidc-models.repository.js';
import { createSealer, deriveSecret } from './crypto/sealing.js';
import { createAuditRepository } from './db/audit.repository.js';
import { createAuditLog } from './audit/audit-log.js';
import { createAuditRetention } from './audit/audit-retention.js';
import { createAuditPruneRepository } from './db/audit-prune.repository.js';
import { createOutbox } from './notifications/outbox.js';
import { createTenantChannels } from './notifications/tenant-channels.js';
import { createOutboundGuard } from './net/outbound-guard.js';
import { createCourier } from './notifications/courier.js';
import { createEmailVerification } from './auth-methods/account/email-verification.service.js';
import { createOneTimeCodes } from './auth-methods/one-time-codes/one-time-codes.js';
import { createSendLimits } from './auth-methods/one-time-codes/send-limits.js';
import { createCodeChallenges } from './auth-methods/one-time-codes/code-challenges.js';
import { storeOnFirstUse } from './store/store-on-first-use.js';
import { createMemoryStore } from './store/memory-store.js';
import type { KvStore } from './store/kv-store.js';
import { createRateLimiter } from './store/rate-limiter.js';
import { createPasswordHasher } from './accounts/password-hasher.js';
import { createUsersService } from './accounts/users.service.js';
import { createClientsService } from './clients/clients.service.js';
import { createClientCache } from './clients/client-cache.js';
import { createTenantsService } from './tenants/tenants.service.js';
import { metadataNotEnabled } from './clients/protocol-metadata.js';
import { createSigningKeys, type SigningKeyGenerator } from './tenants/signing-keys.js';
import { createRevokedAccessTokens } from './oidc/revoked-access-tokens.js';
import { createTenantProviders } from './oidc/tenant-providers.js';
import type { ProviderPages } from './oidc/provider-config.js';
import { AppError } from './errors/app-error.js';
import { createRbacRepository } from './db/rbac.repository.js';
import { createRbac } from './rbac/rbac.service.js';
import { createMachineClaimsCache } from './rbac/machine-claims-cache.js';
import { ensureSystemTenant } from './tenants/system-tenant.js';
import { createSessionActivityRepository } from './db/session-activity.repository.js';
import { createSessions } from './sessions/sessions.service.js';
import { createUserAdminRepository } from './db/user-admin.repository.js';
import { createUserAdmin } from './accounts/user-admin.service.js';
import { createClientAdmin } from './clients/client-admin.js';
import { createAuditSearch } from './db/audit-search.repository.js';
import { createFirstOwner } from './accounts/first-owner.service.js';
import { createLoginTransactions } from './login/login-transaction.store.js';
import { createAuthMethodRegistry } from './auth-methods/auth-method-registry.js';
import { createRealmTenants, createUserRealm, inUserRealm } from './db/user-realm.js';
import { createRealmSecrets } from './auth-methods/mfa/realm-secrets.js';
import { createEnvironmentAccess } from './oidc/environment-access.js';
import { createLastEnvironmentRepository } from './db/last-environment.repository.js';
import { createPromotion } from './tenants/promotion.service.js';
import { createPromotionRepository } from './tenants/promotion.repository.js';
import { createEnvironmentsService } from './tenants/environments.service.js';
import { revokeAccount } from './oidc/account-revocation.js';
import { noMetrics, type Metrics } from './operations/metrics-hooks.js';
import { createLicensesRepository } from './db/licenses.repository.js';
import { createLicenseModule } from './licenses/license-module.js';
import { tracedStore, type Tracing } from './operations/tracing.js';

export interface ServicesOptions {
  /** pages oidc-provider renders (error, logout); the CLI passes none */
  pages?: ProviderPages;
  /** whether this process should apply pending migrations (server start-up, `db migrate`) */
  migrate?: boolean;
  /** the server's metrics; the CLI passes none */
  metrics?: Metrics;
  /** the clock one-time codes, MFA and trusted devices read (ms since the epoch); default Date.now. Tests move it on
   *  instead of sleeping through an expiry. */
  now?: () => number;
  /** OpenTelemetry, when an OTLP endpoint is configured: spans around each database query and Redis command */
  tracing?: Tracing;
  /** passwords hashed in this thread, without worker threads: one-shot commands (the CLI) */
  inlineHashing?: boolean;
  /** Redis connected at its first use rather than before the services are returned (store-on-first-use.ts): a
   *  one-shot command (the CLI) that never uses it skips loading its client. A server connects up front, so that a
   *  wrong REDIS_URL stops it at start-up. */
  storeOnFirstUse?: boolean;
  /** an open database of `config`'s to run on instead of opening one; close() leaves it open. The test suite's CLI
   *  commands in its own process share one, as a Prisma client costs about 50 ms of CPU to create and warm. */
  database?: Database;
  /** how new signing keys are made (default generateSigningKey): the test suite's in-process servers and commands
   *  reuse RSA keys made in earlier runs, never twice in one database (test/support/key-pool.ts) */
  generateSigningKey?: SigningKeyGenerator;
}

const noPages: ProviderPages = {
  async renderError(ctx, out) { ctx.body = out; },
  async logoutSource(ctx, form) { ctx.body = form; },
  async postLogoutSuccessSource(ctx) { ctx.body = 'signed out'; },
  async userCodeInput(ctx, form) { ctx.body = form; },
  async userCodeConfirm(ctx, form) { ctx.body = form; },
  async deviceSuccess(ctx) { ctx.body = 'done'; },
  async tooManyAttempts(ctx) { ctx.body = 'too many attempts'; },
};

export async function createServices(config: Config, logger: Logger, options: ServicesOptions = {}) {
  const now = options.now ?? Date.now;
  const tracing = options.tracing;
  const db: Database = options.database ?? await openDatabase(databaseTarget(config), tracing ? { span: tracing.span } : {});
  const closeDb = () => (options.database ? Promise.resolve() : db.close());
  let store: KvStore | undefined;
  let applied: string[] = [];
  try {
    applied = options.migrate ? await migrate(db) : [];
    if (applied.length) logger.info({ applied }, 'database migrations applied');
    const pending = options.migrate ? [] : await pendingMigrations(db);
    if (pending.length) {
      throw new AppError('db.migrations_pending', `The database has ${pending.length} pending migration(s): run \`npm run db:migrate\` (or set MIGRATE_ON_START=true).`);
    }
    const redisUrl = config.redisUrl;
    // loaded when opened: the Redis client is about a third of a CLI command's start-up, and most commands never use it
    const openRedis = async (url: string) => (await import('./store/redis-store.js'))
      .createRedisStore({ url, prefix: config.redisPrefix, onError: (err) => logger.warn({ err: err.message }, 'redis') });
    if (!redisUrl) store = createMemoryStore({ prefix: config.redisPrefix });
    else store = options.storeOnFirstUse ? storeOnFirstUse('redis', () => openRedis(redisUrl)) : await openRedis(redisUrl);
    // a subscription lives for the process, not a request: it is not a span
    if (tracing && store.kind === 'redis') store = tracedStore(store, tracing, 'redis', new Set(['subscribe', 'close']));
  } catch (error) {
    await closeDb();
    throw error;
  }

  const metrics = options.metrics ?? noMetrics;
  const sealer = createSealer(config.keyEncryptionKeys);
  const tenantsRepository = createTenantsRepository(db.prisma);
  const oidcModels = createOidcModelsRepository(db.prisma, db.sql);
  const signingKeysRepository = createSigningKeysRepository(db.prisma);
  // production, or a hosting platform's marker: no sandbox settings and no sandbox behaviour (issue #19)
  const production = productionDetected(config);
  // users and credentials are shared by a tenant's environments (issue #19)
  const userRealm = createUserRealm(db.prisma);
  const realmSecrets = createRealmSecrets({ realm: userRealm, realmTenants: createRealmTenants(db.prisma), sealer });
  const hasher = createPasswordHasher({ cost: config.passwordHashCost, threads: config.passwordHashThreads, inline: options.inlineHashing });
  const keys = createSigningKeys({ repository: signingKeysRepository, sealer, generate: options.generateSigningKey });
  const users = createUsersService({ repository: inUserRealm(createUsersRepository(db.prisma, db.sql), userRealm, ['findById', 'findByEmail', 'findByPhone', 'create', 'localeOf', 'rememberLocale']), hasher, realm: userRealm });
  const kv = store;
  const clientCache = createClientCache({ store: kv });
  const clientsRepository = createClientsRepository(db.prisma);
  const clients = createClientsService({ repository: clientsRepository, sealer, cache: clientCache });
  const clientAdmin = createClientAdmin({ repository: clientsRepository, sealer, cache: clientCache });

  const machineClaims = createMachineClaimsCache({ store: kv });
  const rbac = createRbac({
    repository: createRbacRepository(db.prisma),
    machineClaims,
    // APIs are resource servers of the tenant's provider: rebuild it everywhere
    async announceChange(slug) {
      const record = await tenantsRepository.findBySlug(slug);
      if (record) await tenantsRepository.bumpVersion(record.id);
      await providers.announceChange(slug);
    },
  });
  const audit = createAuditLog({ repository: createAuditRepository(db.prisma, db.sql), secret: deriveSecret(config.keyEncryptionKeys[0]!, 'audit pseudonyms'), logger, observe: metrics.auditEvent });
  const protocolAudit = createProtocolAudit(audit);
  const sessionActivity = createSessionActivityRepository(db.prisma, db.sql);
  // the one gate for every request to an operator-configured address (issue #13)
  const outbound = createOutboundGuard(config.outboundPolicy);
  const revokedAccessTokens = createRevokedAccessTokens(kv);
  const logins = createLoginTransactions({ store: kv, secret: deriveSecret(config.keyEncryptionKeys[0]!, 'login transactions'), now });
  const providers = createTenantProviders({
    revokedAccessTokens,
    // the token endpoint's login-transaction grant takes a completed sign-in of a JSON front door, once (issue #16)
    async redeemLogin(tenantId, ref, clientId) {
      // a hosted sign-in is handed back through its interaction, never exchanged here
      if ((await logins.get(tenantId, ref))?.front === 'hosted') return null;
      const taken = await logins.apply(tenantId, ref, { type: 'tokens_issued', clientId }, null);
      if (!taken.ok || !taken.tx.userId) return null;
      const user = await users.findById(tenantId, taken.tx.userId);
      if (!user || user.disabled) return null;
      return { userId: user.id, amr: taken.tx.amr, acr: taken.tx.acr, authTime: Math.floor(taken.tx.updatedAt / 1000) };
    },
    protocolAudit,
    // no listener per token when nothing reads the count (no METRICS_PORT)
    onTokenIssued: metrics === noMetrics ? undefined : metrics.tokenIssued,
    sessionActivity,
    publicUrl: config.publicUrl,
    cookieSecrets: config.cookieSecrets,
    outboundFetch: outbound.fetch,
    dpopNonceSecret: (tenantId) => Buffer.from(deriveSecret(config.keyEncryptionKeys[0]!, `dpop nonces:${tenantId}`), 'base64url'),
    mtls: config.mtls,
    maxSize: config.providerCacheSize,
    tenants: tenantsRepository,
    keys,
    store: kv,
    // loaded with the first provider: it brings oidc-provider, which the CLI's commands never need
    adapterFor: async (tenantId) => (await import('./oidc/adapter-factory.js')).createAdapterFactory({ tenantId, repository: oidcModels, store: kv, sealer, clients: clients.sourceFor(tenantId), now }),
    usersFor: (tenantId) => (id) => users.findById(tenantId, id),
    rbac,
    pages: options.pages ?? noPages,
    limiter: createRateLimiter(kv),
    logger,
  });
  const tenants = createTenantsService({
    repository: tenantsRepository, keys, publicUrl: config.publicUrl, sealer, production, mtlsHeaderConfigured: !!config.mtls,
    announceChange: (slug) => providers.announceChange(slug),
    seedTenant: (tenantId, defaultApi) => rbac.seedDefaults(tenantId, defaultApi),
    audit,
    outboundPolicy: config.outboundPolicy,
  });

  const environments = createEnvironmentsService({
    repository: tenantsRepository, keys, publicUrl: config.publicUrl, production,
    seedTenant: (tenantId, defaultApi) => rbac.seedDefaults(tenantId, defaultApi),
  });

  const environmentAccess = createEnvironmentAccess({
    environments, providers, rolesOfUser: (tenant, userId) => rbac.rolesOfUser(tenant, userId), lastEnvironments: createLastEnvironmentRepository(db.prisma),
  });

  const promotion = createPromotion({
    environments, tenants: tenantsRepository, repository: createPromotionRepository(db.prisma),
    announceChange: (slug) => providers.announceChange(slug), clientChanged: (tenantId, clientId) => clientCache.changed(tenantId, clientId),
  });

  /** validates client metadata with the tenant's own provider: what it accepts is what it will load */
  async function clientValidator(slug: string) {
    const resolved = await providers.get(slug);
    if (!resolved) throw new AppError('tenant.not_found');
    return async (metadata: Record<string, unknown>) => {
      const notEnabled = metadataNotEnabled(metadata, resolved.tenant.settings.protocol, !!config.mtls);
      if (notEnabled) throw new Error(notEnabled);
      await resolved.provider.Client.validate(metadata as never);
    };
  }

  const limiter = createRateLimiter(kv, { onRefused: metrics.rateLimited });
  const outbox = createOutbox(kv);
  const channels = createTenantChannels({ sealer, defaultSmtpUrl: config.smtpUrl ?? null, outbound });
  const courier = createCourier({ env: config.env, production, emailFrom: config.emailFrom ?? null, publicHost: config.publicUrl.hostname, channels, outbox, audit, logger });
  const codes = createOneTimeCodes({ store: kv, secret: deriveSecret(config.keyEncryptionKeys[0]!, 'one-time codes'), now });
  const sendLimits = createSendLimits({ limiter, store: kv, now });
  const challenges = createCodeChallenges({ codes, production, limits: sendLimits, courier, channels, audit, logger, now });
  const identities = inUserRealm(createIdentitiesRepository(db.prisma), userRealm, ['find', 'listForUser', 'create', 'removeUnproven', 'remove']);
  const connections = createConnections({ sealer, fetch: outbound.fetch });
  const federation = createFederationStore({ store: kv, sealer });
  const linking = createAccountLinking({ users, identities, audit });
  const mfa = inUserRealm(createMfaRepository(db.prisma, db.sql, now), userRealm, ['secondFactorFacts', 'smsFactor', 'replaceSmsFactor', 'removeSmsFactor', 'totpFactors', 'findTotp', 'createTotp', 'removeTotp', 'dropUnconfirmed', 'replaceRecoveryCodes', 'recoveryCodesLeft', 'useRecoveryCode', 'trustDevice', 'findTrustedDevice', 'trustedDevices', 'revokeTrustedDevice', 'revokeAllTrustedDevices']);
  const sessions = createSessions({ providers, activity: sessionActivity, oidcModels, rolesOf: (tenant, userId) => rbac.rolesOfUser(tenant, userId), logger });
  const passkeys = inUserRealm(createPasskeysRepository(db.prisma), userRealm, ['listForUser', 'countForUser', 'findByCredentialId', 'create', 'rename', 'remove']);
  const userAdmin = createUserAdmin({ repository: inUserRealm(createUserAdminRepository(db.prisma), userRealm, ['find', 'search', 'labels', 'update', 'delete', 'resetMfa']), identities, mfa, passkeys, sessions });
  const factors = createFactors({ mfa, sealer, realmSecrets, limiter, audit, recoverySecret: deriveSecret(config.keyEncryptionKeys[0]!, 'recovery codes'), now });
  const smsFactor = createSmsFactor({ mfa, sealer, realmSecrets, codes, challenges, factors, audit });
  // the JSON front doors' WebAuthn ceremonies (the hosted pages build theirs over the same store and passkeys)
  const webauthn = createWebAuthnService({ store: kv, passkeys, publicOrigin: config.publicUrl.origin, now });
  /** ends an account's sessions in a tenant, through its provider */
  async function authMethodsRevoke(tenant: { id: string; slug: string }, userId: string) {
    const resolved = await providers.get(tenant.slug);
    if (resolved) await revokeAccount(resolved.provider, oidcModels, tenant.id, userId);
  }
  const authMethods = createAuthMethodRegistry({
    users, codes, challenges, linking, audit, factors, smsFactor, webauthn, limiter, channels, connections, federation, env: config.env,
    revokeAccount: authMethodsRevoke,
  });

  const emailVerificationStep = createEmailVerificationStep({ users, codes, challenges, linking, limiter, audit, revokeAccount: authMethodsRevoke });
  const loginChallenges = createLoginChallenges({ logins, authMethods, webauthn, limiter, audit, emailVerification: emailVerificationStep, factors, smsFactor, passkeys });
  const licenses = createLicenseModule({
    repository: createLicensesRepository(db.prisma), keys, limiter, audit, now,
    peppers: config.keyEncryptionKeys.map((key) => deriveSecret(key, 'license keys')),
    userExists: async (tenantId, userId) => (await users.findById(tenantId, userId)) !== null,
  });

  try {
    await ensureSystemTenant({ tenants, rbac, publicUrl: config.publicUrl });
  } catch (error) {
    await Promise.allSettled([kv.close(), hasher.close()]);
    await closeDb();
    throw error;
  }

  return {
    config,
    now,
    db,
    metrics,
    rbac,
    sessions,
    sessionActivity,
    userAdmin,
    clientAdmin,
    audit,
    auditRetention: createAuditRetention({ repository: createAuditPruneRepository(db.prisma), logger, settings: config.auditRetention }),
    auditSearch: createAuditSearch(db.prisma),
    outbox,
    channels,
    courier,
    codes,
    challenges,
    identities,
    connections,
    federation,
    linking,
    mfa,
    passkeys,
    factors,
    smsFactor,
    webauthn,
    logins,
    loginChallenges,
    authMethods,
    /** migrations this process applied when it opened the database */
    appliedMigrations: applied,
    store: kv,
    revokedAccessTokens,
    tenants,
    environments,
    environmentAccess,
    promotion,
    clients,
    users,
    keys,
    providers,
    oidcModels,
    signingKeysRepository,
    limiter,
    licenses,
    clientValidator,
    emailVerification: createEmailVerification({
      store: kv, limits: sendLimits, courier, publicUrl: config.publicUrl,
      findUser: (tenantId, userId) => users.findById(tenantId, userId),
      localeOf: (tenantId, userId) => users.localeOf(tenantId, userId),
      markVerified: async (tenant, userId) => { await userAdmin.update(tenant, userId, { email_verified: true }); },
      now,
    }),
    firstOwner: createFirstOwner({ store: kv, rbac, tenants, createUser: (tenantId, input) => users.create(tenantId, input) }),
    /** subscribes this process to change announcements (servers; one-shot CLI runs need not) */
    async listen() {
      await providers.listen();
      await clientCache.listen();
      await machineClaims.listen();
    },
    async close() {
      await challenges.settle();
      protocolAudit.flush();
      await audit.settle();
      await channels.close();
      await Promise.allSettled([hasher.close(), kv.close()]);
      await closeDb();
    },
  };
}

export type Services = Awaited<ReturnType<typeof createServices>>;
