// The login page: every way in the tenant offers, as the method registry lists them (auth-method-registry.ts
// loginPage), each posting to its own route. views/login.ejs lays out the ways it knows by their flag (one email form
// for password, code and link; the phone button; one button per connection; the passkey form) and draws any other
// registered way as a plain button, so a new method needs no change here.
import type { Context } from 'koa';
import type { InteractionContext, Details } from '../interactions/interaction-context.js';
import type { CourierTenant } from '../notifications/courier.js';
import type { TenantChannels } from '../notifications/tenant-channels.js';
import type { LoginPageWay } from './auth-method-registry.js';
import { availableMethods, type AvailableMethods } from './sign-in-methods.js';
import type { Connections } from './federated/connections.js';
import { allowPasskeyScript } from './passkeys/passkey-http.js';

/** the ways the template lays out itself, by flag; `url` names its key in the template's `urls` */
const drawnWays: Record<string, { url: string; lockout: string | null }> = {
  password: { url: 'password', lockout: null },
  emailOtp: { url: 'emailCode', lockout: 'lockout.ways.emailCode' },
  magicLink: { url: 'magicLink', lockout: 'lockout.ways.magicLink' },
  phone: { url: 'phone', lockout: 'lockout.ways.phone' },
  federated: { url: 'federated', lockout: null },
  passkey: { url: 'passkey', lockout: 'lockout.ways.passkey' },
};

export interface LoginPage {
  methods(tenant: CourierTenant): AvailableMethods;
  /** the ways in the page shows for a tenant (from the registry) */
  ways(tenant: CourierTenant): LoginPageWay[];
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

export interface LoginPageDeps {
  ix: InteractionContext;
  channels: TenantChannels;
  connections: Pick<Connections, 'buttons'>;
  /** the method registry's view of the page (auth-method-registry.ts) */
  registry: { loginPage(tenant: CourierTenant): LoginPageWay[] };
  env: string;
}

export function createLoginPage(deps: LoginPageDeps): LoginPage {
  const { ix } = deps;
  const methods = (tenant: CourierTenant) => availableMethods(tenant, deps.channels, deps.env);
  const ways = (tenant: CourierTenant) => deps.registry.loginPage(tenant);
  return {
    methods,
    ways,
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
      const offered = ways(tenant);
      // the lock is on passwords only: every other way in (and the reset, which ends with a new password) still works
      const list = [
        ...offered.map((way) => {
          if (way.flag === 'password' || way.flag === 'federated') return null;
          const lockout = drawnWays[way.flag]?.lockout;
          return lockout ? words.t(lockout) : words.t(way.label);
        }),
        ...(offered.some((way) => way.flag === 'federated') ? deps.connections.buttons(tenant.settings.connections).map((c) => words.t('lockout.ways.connection', { name: c.name })) : []),
        methods(tenant).passwordReset && words.t('lockout.ways.reset'),
      ];
      const waysIn = list.filter((way): way is string => typeof way === 'string');
      const locked = words.t('error.locked', { count: Math.max(1, Math.ceil(waitSeconds / 60)) });
      if (!waysIn.length) return locked;
      const joined = new Intl.ListFormat(words.locale, { style: 'long', type: 'disjunction' }).format(waysIn);
      return `${locked} ${words.t('error.lockedWaysIn', { ways: joined })}`;
    },
    async render(ctx, details, options = {}) {
      const base = ix.base(ctx);
      const tenant = ix.tenantOf(ctx);
      const pages = methods(tenant);
      const offered = ways(tenant);
      const has = (flag: string) => offered.some((way) => way.flag === flag);
      const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint.slice(0, 254) : '';
      // "Sign in with a passkey" (issue #5) is the one button that needs a script (views/assets/passkeys.js)
      if (has('passkey')) allowPasskeyScript(ctx);
      const urls: Record<string, string> = { signUp: `${base}/signup`, reset: `${base}/reset` };
      for (const way of offered) urls[drawnWays[way.flag]?.url ?? way.flag] = `${base}${way.path}`;
      await ix.render(ctx, 'login', {
        title: 'login.title',
        status: options.status,
        data: {
          action: `${base}/login`, abortUrl: `${base}/abort`, csrfToken: ix.csrfToken(details),
          email: options.email ?? hint, error: options.error ?? null, notice: options.notice ?? null,
          clientName: await ix.clientName(ctx, details),
          methods: {
            password: has('password'), emailOtp: has('emailOtp'), magicLink: has('magicLink'),
            phone: has('phone'), signUp: pages.signUp, passwordReset: pages.passwordReset, passkey: has('passkey'),
          },
          connections: has('federated') ? deps.connections.buttons(tenant.settings.connections) : [],
          // registered ways the template has no part for: a plain button each
          otherWays: offered.filter((way) => !Object.hasOwn(drawnWays, way.flag)).map((way) => ({ label: way.label, url: `${base}${way.path}` })),
          urls,
        },
      });
    },
  };
}
