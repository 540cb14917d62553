// Composition root of the HTTP server: services plus the Koa middleware stack, in the order requests meet it.
import Koa from 'koa';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { createServices, type Services } from './services.js';
import { createPageRenderer, viewsDir } from './http/page-renderer.js';
import { createPages } from './http/pages.js';
import { requestLog } from './http/request-log.js';
import { securityHeaders } from './http/security-headers.js';
import { errorHandler } from './http/error-handler.js';
import { hostGuard } from './http/host-guard.js';
import { healthPath, staticRoutes } from './http/static-routes.js';
import { tenantRoutes } from './http/tenant-routes.js';
import { interactionsRouter } from './interactions/interactions.routes.js';
import { createProviderPages } from './interactions/provider-pages.js';
import { createCsrf } from './interactions/csrf.js';
import { demoRoutes } from './demo/demo.routes.js';
import { cliPath, cliRoutes } from './cli/cli.routes.js';
import { startMaintenance } from './oidc/maintenance.js';

export interface Tessera {
  readonly app: Koa;
  readonly services: Services;
  close(): Promise<void>;
}

export async function createTessera(config: Config, logger: Logger, options: { cliToken?: string } = {}): Promise<Tessera> {
  const pages = createPages(createPageRenderer({ viewsDir, cache: config.env !== 'development' }));
  const services = await createServices(config, logger, {
    pages: createProviderPages(pages),
    migrate: config.migrateOnStart || !config.databaseUrl,
  });
  await services.listen();
  const stopMaintenance = startMaintenance(services, logger);

  // proxy = true because hostGuard pins X-Forwarded-Host/Proto to PUBLIC_URL (and drops X-Forwarded-For
  // unless TRUST_PROXY): Koa then builds every URL from PUBLIC_URL.
  const app = new Koa({ proxy: true });
  // The mounted providers set some cookies through this app's context and read them through their own:
  // both must sign with the same keys.
  app.keys = [...config.cookieSecrets];
  app.on('error', (err: Error) => logger.debug({ err: err.message }, 'koa error'));

  const interactions = interactionsRouter({
    users: services.users,
    limiter: services.limiter,
    pages,
    csrf: createCsrf({ secrets: config.cookieSecrets, origin: config.publicUrl.origin }),
  });
  const statics = staticRoutes({
    checks: async () => {
      await services.db.prisma.$queryRaw`SELECT 1`;
      await services.store.ping();
    },
  });

  app.use(requestLog(logger));
  app.use(securityHeaders({ https: config.publicUrl.protocol === 'https:' }));
  app.use(errorHandler({ logger, pages }));
  app.use(hostGuard({ publicUrl: config.publicUrl, trustProxy: config.trustProxy, openPaths: new Set([healthPath, cliPath]) }));
  app.use(statics.routes());
  app.use(tenantRoutes(services.providers));
  app.use(interactions.routes());
  app.use(interactions.allowedMethods());
  if (config.seedDemo) app.use(demoRoutes(pages).routes());
  if (options.cliToken) app.use(cliRoutes({ services, token: options.cliToken }).routes());

  return {
    app,
    services,
    async close() {
      stopMaintenance();
      await services.close();
    },
  };
}
