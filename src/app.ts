// Composition root of the HTTP server: services plus the Koa middleware stack, in the order requests meet it.
import { developmentTokenRefusal, productionDetected } from './config/development-mode.js';
import Koa, { type Middleware } from 'koa';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { createServices, type Services } from './services.js';
import { createPageRenderer, viewsDir } from './http/page-renderer.js';
import { createPages } from './http/pages.js';
import { requestLog } from './http/request-log.js';
import { securityHeaders } from './http/security-headers.js';
import { errorHandler } from './http/error-handler.js';
import { hostGuard } from './http/host-guard.js';
import { clientAddressMiddleware } from './http/client-address.js';
import { staticRoutes } from './http/static-routes.js';
import { forPaths, gatesInTurn, outsideTenantPaths } from './http/path-gate.js';
import { healthPath, healthRoutes, readyPath } from './operations/health.routes.js';
import { readinessChecks } from './operations/readiness.js';
import { createMetrics, noMetrics } from './operations/metrics.js';
import { startMetricsServer, type MetricsServer } from './operations/metrics-server.js';
import { requestMetrics } from './operations/request-metrics.js';
import { startTracing } from './operations/tracing.js';
import { tenantRoutes } from './http/tenant-routes.js';
import { hostedFlowRouters } from './hosted-flow.routes.js';
import { outboxRoutes } from './notifications/outbox.routes.js';
import { outboxKept } from './tenants/sandbox-behaviour.js';
import { createProviderPages } from './interactions/provider-pages.js';
import { createCsrf } from './interactions/csrf.js';
import { demoRoutes } from './demo/demo.routes.js';
import { demoSignInUrl } from './demo/demo.service.js';
import { homeRoutes } from './http/home.routes.js';
import { cliPath, cliRoutes } from './cli/cli.routes.js';
import { managementRoutes } from './management/management.routes.js';
import { startMaintenance } from './oidc/maintenance.js';
import { AppError } from './errors/app-error.js';
import { clientCertificateHeaders } from './http/client-certificate.js';
import { protectedResourceMetadataRoutes } from './resource-servers/protected-resource-metadata.routes.js';
import { permissionsCheckRoutes } from './resource-servers/permissions-check.routes.js';
import { adminRoutes } from './admin/admin.routes.js';
import { otpApiRoutes } from './otp-api/otp-api.routes.js';
import { licensesApiRoutes } from './licenses/licenses.routes.js';
import { restApiRoutes } from './rest-api/rest-api.routes.js';
import type { SigningKeyGenerator } from './tenants/signing-keys.js';

export interface Tessera {
  readonly app: Koa;
  readonly services: Services;
  close(): Promise<void>;
}

export async function createTessera(config: Config, logger: Logger, options: { cliToken?: string; now?: () => number; generateSigningKey?: SigningKeyGenerator } = {}): Promise<Tessera> {
  const pages = createPages(createPageRenderer({ viewsDir, cache: config.env !== 'development' }), productionDetected(config));
  // with metrics off nothing is counted: no per-request work, no event-loop monitor
  const metrics = config.metricsPort ? createMetrics() : noMetrics;
  // with no OTLP endpoint the OpenTelemetry packages are never imported, and no span is made
  const tracing = config.otlpTracesUrl ? await startTracing({ url: config.otlpTracesUrl, serviceName: config.otelServiceName }) : undefined;
  const services = await createServices(config, logger, {
    tracing,
    metrics,
    pages: createProviderPages(pages),
    migrate: config.migrateOnStart || !config.databaseUrl,
    now: options.now,
    generateSigningKey: options.generateSigningKey,
  }).catch(async (error: unknown) => {
    await tracing?.shutdown();
    throw error;
  });
  const devTokenRefusal = developmentTokenRefusal(config);
  if (devTokenRefusal) logger.warn(devTokenRefusal);
  if (productionDetected(config)) {
    const sandboxes = await services.tenants.withTestRecipients();
    if (sandboxes.length) {
      await services.close();
      throw new AppError('tenant.invalid_settings', `Tenants ${sandboxes.join(', ')} have fixed test codes (signIn.testRecipients): not allowed in production. A sandbox environment's signIn.debugCode counts too. Remove them with \`tessera tenant settings --set\` outside production.`);
    }
  }
  await services.listen();
  let metricsServer: MetricsServer | undefined;
  if (config.metricsPort) {
    try {
      metricsServer = await startMetricsServer(metrics, { port: config.metricsPort, host: config.metricsHost });
    } catch (error) {
      // sign-in matters more than its metrics: a busy metrics port is reported, not fatal
      logger.error({ err: (error as Error).message, port: config.metricsPort }, 'metrics listener could not start: /metrics is unavailable');
    }
  }
  const stopMaintenance = startMaintenance(services, logger);

  // proxy = true because hostGuard pins X-Forwarded-Host/Proto to PUBLIC_URL: Koa then builds every URL from
  // PUBLIC_URL. ctx.ip is set by clientAddressMiddleware (TRUST_PROXY), never read from the header by Koa.
  const app = new Koa({ proxy: true });
  // The mounted providers set some cookies through this app's context and read them through their own:
  // both must sign with the same keys.
  app.keys = [...config.cookieSecrets];
  app.on('error', (err: Error) => logger.debug({ err: err.message }, 'koa error'));

  const csrf = createCsrf({ secrets: config.cookieSecrets, origin: config.publicUrl.origin });
  const hostedFlow = hostedFlowRouters(services, { pages, csrf });
  // The outbox page shows live codes: never in production, where nothing is recorded (tenants/sandbox-behaviour.ts)
  const outbox = outboxRoutes({ outbox: services.outbox, pages, enabled: () => outboxKept(config.env) });
  const statics = staticRoutes();

  if (tracing) app.use(tracing.middleware());
  if (config.metricsPort) app.use(requestMetrics(metrics));
  app.use(clientAddressMiddleware(config.trustProxy));
  app.use(requestLog(logger));
  app.use(securityHeaders({ https: config.publicUrl.protocol === 'https:' }));
  app.use(errorHandler({ logger, pages }));
  app.use(hostGuard({ publicUrl: config.publicUrl, trustProxy: config.trustProxy, openPaths: new Set([healthPath, readyPath, cliPath]) }));
  const healthGate = forPaths(outsideTenantPaths, healthRoutes({ checks: readinessChecks(services) }).routes() as Middleware);
  // the routers before the tenants' providers, each behind its gate: one layer of the stack for a request none of
  // them serves (every protocol request), in the order they always ran (path-gate.ts)
  const beforeTenants = [
    forPaths(outsideTenantPaths, statics.routes() as Middleware),
    forPaths(outsideTenantPaths, homeRoutes({
      pages, development: config.env !== 'production', publicUrl: config.publicUrl, redirectUrl: config.homeRedirectUrl,
      demoSignInUrl: () => demoSignInUrl(services), ownerExists: () => services.firstOwner.ownerExists(),
    }).routes() as Middleware),
    permissionsCheckRoutes(services),
    protectedResourceMetadataRoutes({ providers: services.providers, rbac: services.rbac, publicUrl: config.publicUrl }),
  ];
  if (config.mtls) {
    app.use(healthGate);
    app.use(clientCertificateHeaders({ headers: [config.mtls.certHeader, ...(config.mtls.verifyHeader ? [config.mtls.verifyHeader] : [])], trustProxy: config.trustProxy }));
    app.use(gatesInTurn(...beforeTenants));
  } else {
    app.use(gatesInTurn(healthGate, ...beforeTenants));
  }
  app.use(tenantRoutes(services.providers));
  for (const router of hostedFlow) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  app.use(outbox.routes());
  app.use(managementRoutes(services));
  const otpApi = otpApiRoutes(services, { secret: config.keyEncryptionKeys[0]! });
  app.use(otpApi.routes());
  app.use(otpApi.allowedMethods());
  const licensesApi = licensesApiRoutes(services);
  app.use(licensesApi.routes());
  app.use(licensesApi.allowedMethods());
  const restApi = restApiRoutes(services);
  app.use(restApi.routes());
  app.use(restApi.allowedMethods());
  app.use(adminRoutes(services, { csrf, publicUrl: config.publicUrl, cacheViews: config.env !== 'development' }));
  if (config.seedDemo) app.use(demoRoutes({ pages, publicUrl: config.publicUrl }).routes());
  if (options.cliToken) app.use(cliRoutes({ services, token: options.cliToken }).routes());

  return {
    app,
    services,
    async close() {
      stopMaintenance();
      await metricsServer?.close();
      await services.close();
      await tracing?.shutdown();
    },
  };
}
