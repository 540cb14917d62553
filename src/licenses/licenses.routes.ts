// The backend license API at the root, `/licenses/…` (issue #20): activate, validate, heartbeat, deactivate. The app
// authenticates exactly like the backend OTP API: `app_id` + `app_secret` in the JSON body, and a request carrying
// an Origin header (a browser) is refused before anything else. Answers are `{error, message}` from the one
// catalogue; a churn refusal carries Retry-After.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Services } from '../services.js';
import { AppError } from '../errors/app-error.js';
import { readJsonText } from '../http/json-body.js';
import { authenticateApp } from '../otp-api/app-credentials.js';
import type { DeviceCaller, LicenseDevices } from './license-devices.service.js';

export const licensesApiPrefix = '/licenses';

export function licensesApiRoutes(services: Services) {
  const router = new Router({ prefix: licensesApiPrefix });
  const devices = services.licenses.devices;

  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    // the app secret belongs on a backend: a browser (which always sends Origin on a cross-site POST) is refused
    if (ctx.get('Origin')) throw new AppError('request.origin_refused');
    await next();
  });

  function deviceRoute(handle: (caller: DeviceCaller, body: Record<string, unknown>) => Promise<unknown>) {
    return async (ctx: Context) => {
      const read = await readJsonText(ctx);
      if (!read || typeof read.value !== 'object' || read.value === null || Array.isArray(read.value)) throw new AppError('request.invalid', 'Send a JSON object.');
      const body = read.value as Record<string, unknown>;
      const app = await authenticateApp(services.providers, body);
      // a refusal from here on is in the language the call asked for, else the app's tenant's (http/error-handler.ts)
      ctx.state.errorTexts = app.tenant.settings.texts;
      const caller: DeviceCaller = { tenant: { id: app.tenant.id, issuer: app.provider.issuer }, appId: app.appId, ip: ctx.ip };
      try {
        ctx.body = await handle(caller, body);
      } catch (error) {
        const retryAfter = error instanceof AppError ? error.details?.retryAfterSeconds : undefined;
        if (typeof retryAfter === 'number') ctx.set('Retry-After', String(retryAfter));
        throw error;
      }
    };
  }

  const route = (name: keyof LicenseDevices) => deviceRoute((caller, body) => devices[name](caller, body));
  router.post('/activate', route('activate'));
  router.post('/validate', route('validate'));
  router.post('/heartbeat', route('heartbeat'));
  router.post('/deactivate', route('deactivate'));
  return router;
}
