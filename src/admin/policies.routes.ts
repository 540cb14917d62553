// A tenant's sign-in methods and policies (password, one-time codes, MFA, token lifetimes, protocol profiles), each form one settings patch through
// services.tenants.updateSettings, whose validation messages the form shows.
import Router from '@koa/router';
import type { Context } from 'koa';
import { DEFAULT_MAX_PASSWORD_LENGTH } from '../accounts/password-policy.js';
import { mfaFactorTypes } from '../tenants/mfa-settings.js';
import type { AdminKit } from './admin-kit.js';
import { text } from './admin-kit.js';

// labels are catalogue keys (console.policies.*)
const signInMethods = [['password', 'console.policies.methodPassword'], ['emailOtp', 'console.policies.methodEmailOtp'], ['magicLink', 'console.policies.methodMagicLink'], ['smsOtp', 'console.policies.methodSmsOtp'], ['whatsappOtp', 'console.policies.methodWhatsappOtp'], ['passkey', 'console.policies.methodPasskey']] as const;
const lifetimes = [['accessToken', 'console.policies.ttlAccessToken'], ['idToken', 'console.policies.ttlIdToken'], ['refreshToken', 'console.policies.ttlRefreshToken'], ['authorizationCode', 'console.policies.ttlAuthorizationCode'], ['session', 'console.policies.ttlSession'], ['interaction', 'console.policies.ttlInteraction']] as const;
// protocol profiles (issue #17): each an on/off of the tenant's `protocol` settings, path → label
const protocolSwitches = [
  ['par.enabled', 'console.policies.parEnabled'], ['par.required', 'console.policies.parRequired'],
  ['dpop.enabled', 'console.policies.dpopEnabled'], ['dpop.requireNonce', 'console.policies.dpopRequireNonce'],
  ['jar.enabled', 'console.policies.jarEnabled'], ['jar.requireSigned', 'console.policies.jarRequireSigned'],
  ['jarm.enabled', 'console.policies.jarmEnabled'], ['pairwise.enabled', 'console.policies.pairwiseEnabled'],
  ['mtls.enabled', 'console.policies.mtlsEnabled'],
  ['responseTypes.implicit', 'console.policies.implicit'], ['responseTypes.hybrid', 'console.policies.hybrid'],
  ['formPost.enabled', 'console.policies.formPostEnabled'],
  ['clientAuth.privateKeyJwt', 'console.policies.privateKeyJwt'], ['clientAuth.clientSecretJwt', 'console.policies.clientSecretJwt'],
  ['fapi2.enabled', 'console.policies.fapi2Enabled'],
] as const;
/** form field names without dots, which the body parser would read as nesting */
const fieldOf = (key: string) => `protocol-${key.replace('.', '-')}`;
type Section = 'signIn' | 'password' | 'codes' | 'mfa' | 'tokens' | 'protocol';

const checked = (ctx: Context, name: string) => text(ctx, name, 10) === 'on';
/** a whole number as a number; anything else as typed, for the settings validation to name */
const whole = (ctx: Context, name: string) => {
  const value = text(ctx, name, 20);
  return /^\d{1,9}$/.test(value) ? Number(value) : value;
};

export function policiesRoutes(kit: AdminKit) {
  const { services } = kit;
  const router = new Router({ prefix: '/admin/tenants/:slug/policies' });

  async function page(ctx: Context, problem: { section: Section; message: string } | null = null) {
    const tenant = await kit.tenant(ctx, 'tenants:read');
    const s = tenant.settings;
    await kit.render(ctx, 'policies', {
      title: 'console.policies.title', tenant, section: 'policies', status: problem ? 400 : 200,
      data: {
        canWrite: kit.can(kit.operatorOf(ctx), 'tenants:write'), problem,
        methods: signInMethods.map(([key, label]) => ({ key, label, on: s.signIn.methods[key] })),
        signUp: s.signIn.signUp, requireVerifiedEmail: s.signIn.requireVerifiedEmail,
        password: { min: s.signIn.passwordMinLength, max: DEFAULT_MAX_PASSWORD_LENGTH },
        codes: { length: s.signIn.code.length, maxAttempts: s.signIn.code.maxAttempts },
        mfa: { policy: s.mfa.policy, graceDays: s.mfa.graceDays, trustedDeviceDays: s.mfa.trustedDeviceDays, factors: mfaFactorTypes.map((f) => ({ key: f, on: s.mfa.factors[f] })) },
        ttl: lifetimes.map(([key, label]) => ({ key, label, value: s.ttl[key] })),
        protocol: protocolSwitches.map(([key, label]) => {
          const [group, name] = key.split('.') as [keyof typeof s.protocol, string];
          return { key: fieldOf(key), label, on: (s.protocol[group] as Record<string, unknown>)[name] === true };
        }),
      },
    });
  }

  async function save(ctx: Context, section: Section, patch: Record<string, unknown>, type: `admin.${string}`) {
    const tenant = await kit.tenant(ctx, 'tenants:write');
    kit.verifyCsrf(ctx);
    try {
      await services.tenants.updateSettings(tenant.slug, patch, kit.actor(ctx));
    } catch (error) {
      return page(ctx, { section, message: await kit.formError(ctx, error) });
    }
    await kit.audit(ctx, tenant.id, type, { data: patch });
    await kit.done(ctx, `/admin/tenants/${tenant.slug}/policies`, { key: 'console.policies.saved' });
  }

  router.get('/', (ctx) => page(ctx));
  router.post('/sign-in', (ctx) => save(ctx, 'signIn', {
    signIn: {
      methods: Object.fromEntries(signInMethods.map(([key]) => [key, checked(ctx, key)])),
      signUp: checked(ctx, 'signUp'), requireVerifiedEmail: checked(ctx, 'requireVerifiedEmail'),
    },
  }, 'admin.sign_in_methods_updated'));
  router.post('/password', (ctx) => save(ctx, 'password', { signIn: { passwordMinLength: whole(ctx, 'passwordMinLength') } }, 'admin.password_policy_updated'));
  // issue #19: per environment; 4 digits only with at most 5 attempts (tenant-settings-update.ts says why)
  router.post('/codes', (ctx) => save(ctx, 'codes', { signIn: { code: { length: whole(ctx, 'codeLength'), maxAttempts: whole(ctx, 'codeMaxAttempts') } } }, 'admin.code_policy_updated'));
  router.post('/mfa', (ctx) => save(ctx, 'mfa', {
    mfa: {
      policy: text(ctx, 'policy', 20),
      factors: Object.fromEntries(mfaFactorTypes.map((f) => [f, checked(ctx, `factor-${f}`)])),
      graceDays: whole(ctx, 'graceDays'), trustedDeviceDays: whole(ctx, 'trustedDeviceDays'),
    },
  }, 'admin.mfa_policy_updated'));
  router.post('/protocol', (ctx) => {
    const protocol: Record<string, Record<string, boolean>> = {};
    for (const [key] of protocolSwitches) {
      const [group, name] = key.split('.') as [string, string];
      (protocol[group] ??= {})[name] = checked(ctx, fieldOf(key));
    }
    return save(ctx, 'protocol', { protocol }, 'admin.protocol_profiles_updated');
  });
  router.post('/tokens', (ctx) => save(ctx, 'tokens', { ttl: Object.fromEntries(lifetimes.map(([key]) => [key, whole(ctx, key)])) }, 'admin.token_lifetimes_updated'));

  return router;
}
