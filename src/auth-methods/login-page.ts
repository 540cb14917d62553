// The login page: every way in the tenant offers, each posting to its own route.
import type { Context } from 'koa';
import type { InteractionContext, Details } from '../interactions/interaction-context.js';
import type { CourierTenant } from '../notifications/courier.js';
import type { TenantChannels } from '../notifications/tenant-channels.js';
import { availableMethods, type AvailableMethods } from './sign-in-methods.js';
import type { Connections } from './federated/connections.js';
import { allowPasskeyScript } from './passkeys/passkey-http.js';

export interface LoginPage {
  methods(tenant: CourierTenant): AvailableMethods;
  /**
   * The interaction of a page reached from the login page (sign-up, reset, phone), when it still waits for a login
   * and the tenant offers `method`; otherwise answers (expired page, or the login page with the text `refusal`, a
   * catalogue key) and gives null.
   */
  opened(ctx: Context, method: keyof AvailableMethods, refusal: string): Promise<Details | null>;
  render(ctx: Context, details: Details, options?: { email?: string; error?: string | null; notice?: string | null; status?: number }): Promise<void>;
  /** the password lock's message: how long it lasts, and the ways in that still work meanwhile */
  lockedMessage(ctx: Context, waitSeconds: number): string;
}

export function createLoginPage(deps: { ix: InteractionContext; channels: TenantChannels; connections: Connections; env: string }): LoginPage {
  const { ix } = deps;
  const methods = (tenant: CourierTenant) => availableMethods(tenant, deps.channels, deps.env);
  return {
    methods,
    async opened(ctx, method, refusal) {
      const details = await ix.load(ctx);
      if (!details || details.prompt.name !== 'login') {
        await ix.expired(ctx);
        return null;
      }
      if (!methods(ix.tenantOf(ctx))[method]) {
        await this.render(ctx, details, { error: ix.t(ctx, refusal), status: 400 });
        return null;
      }
      return details;
    },
    lockedMessage(ctx, waitSeconds) {
      const words = ix.words(ctx);
      const tenant = ix.tenantOf(ctx);
      const available = methods(tenant);
      // the lock is on passwords only: every other way in (and the reset, which ends with a new password) still works
      const ways = [
        available.emailOtp && words.t('lockout.ways.emailCode'),
        available.magicLink && words.t('lockout.ways.magicLink'),
        available.phone && words.t('lockout.ways.phone'),
        tenant.settings.signIn.methods.passkey && tenant.settings.mfa.factors.passkey && words.t('lockout.ways.passkey'),
        ...deps.connections.buttons(tenant.settings.connections).map((c) => words.t('lockout.ways.connection', { name: c.name })),
        available.passwordReset && words.t('lockout.ways.reset'),
      ].filter((way): way is string => typeof way === 'string');
      const locked = words.t('error.locked', { count: Math.max(1, Math.ceil(waitSeconds / 60)) });
      if (!ways.length) return locked;
      const list = new Intl.ListFormat(words.locale, { style: 'long', type: 'disjunction' }).format(ways);
      return `${locked} ${words.t('error.lockedWaysIn', { ways: list })}`;
    },
    async render(ctx, details, options = {}) {
      const base = ix.base(ctx);
      const tenant = ix.tenantOf(ctx);
      const available = methods(tenant);
      const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint.slice(0, 254) : '';
      // "Sign in with a passkey" (issue #5) is the one button that needs a script (views/assets/passkeys.js)
      const passkey = tenant.settings.signIn.methods.passkey && tenant.settings.mfa.factors.passkey;
      if (passkey) allowPasskeyScript(ctx);
      await ix.render(ctx, 'login', {
        title: 'login.title',
        status: options.status,
        data: {
          action: `${base}/login`, abortUrl: `${base}/abort`, csrfToken: ix.csrfToken(details),
          email: options.email ?? hint, error: options.error ?? null, notice: options.notice ?? null,
          clientName: await ix.clientName(ctx, details),
          methods: {
            password: available.password, emailOtp: available.emailOtp, magicLink: available.magicLink,
            phone: available.phone, signUp: available.signUp, passwordReset: available.passwordReset, passkey,
          },
          connections: deps.connections.buttons(tenant.settings.connections),
          urls: { emailCode: `${base}/email-code`, magicLink: `${base}/magic-link`, phone: `${base}/phone`, signUp: `${base}/signup`, reset: `${base}/reset`, federated: `${base}/federated`, passkey: `${base}/passkey` },
        },
      });
    },
  };
}
