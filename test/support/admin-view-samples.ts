// Sample data for every admin console template, hostile wherever text is shown (admin-views.test.ts).
import { join } from 'node:path';
import { createPageRenderer, viewsDir } from '../../src/http/page-renderer.js';
import { CSRF, EVIL } from './view-samples.js';
import { translator } from '../../src/i18n/i18n.js';

const words = translator('en');

export const adminRenderer = createPageRenderer({ viewsDir: join(viewsDir, 'admin'), cache: false });
/** the one script a console page may load: ours, from our origin (the console's CSP says script-src 'self') */
export const PREVIEW_SCRIPT = '<script src="/admin/assets/admin-preview.js" defer></script>';

const common = {
  t: words.t, th: words.th,
  page: { title: EVIL, lang: 'en', assetsUrl: '/assets', adminAssets: '/admin/assets', section: 'users' },
  operator: { label: EVIL, roles: ['owner'], can: () => true },
  csrfToken: CSRF,
  flash: { message: EVIL, isError: false },
  tenant: { slug: 'acme', name: EVIL, base: '/admin/tenants/acme' },
};
const at = '2026-01-02T03:04:05.000Z';
const user = {
  id: '00000000-0000-4000-8000-000000000001', email: EVIL, email_verified: true, phone_number: EVIL, phone_number_verified: false, has_password: true,
  profile: { name: EVIL }, metadata: { note: EVIL }, disabled: false, created_at: at, updated_at: at, last_login_at: null,
};

export const adminSamples: Record<string, Record<string, unknown>> = {
  tenants: { ...common, tenant: null, tenants: [{ slug: 'acme', name: EVIL, issuer: EVIL }], canCreate: true, form: { slug: EVIL, name: EVIL, formError: EVIL } },
  tenant: { ...common, issuer: EVIL, discovery: 'https://id.example/t/acme/.well-known/openid-configuration', methods: [EVIL], mfaPolicy: EVIL, algs: { idToken: EVIL, accessToken: EVIL } },
  refused: { ...common, operator: null, tenant: null, flash: null, csrfToken: '', signOutUrl: '/t/system/session/end' },
  problem: { ...common, heading: EVIL, message: EVIL, requestId: EVIL },
  roles: { ...common, roles: [{ name: EVIL, description: EVIL, permissions: [] }], canWrite: true, form: { name: EVIL, description: EVIL, formError: EVIL } },
  role: {
    ...common, role: { name: EVIL, description: EVIL, permissions: [] }, canWrite: true, formError: EVIL,
    apis: [{ identifier: EVIL, name: EVIL, permissions: [{ name: EVIL, description: EVIL, value: EVIL, held: true }] }],
  },
  apis: { ...common, apis: [{ id: 'a1', name: EVIL, identifier: EVIL, permissions: [{ name: EVIL }] }], canWrite: true, form: { identifier: EVIL, name: EVIL, permissions: EVIL, formError: EVIL } },
  api: { ...common, api: { id: 'a1', name: EVIL, identifier: EVIL }, canWrite: true, form: { name: EVIL, permissions: EVIL, formError: EVIL } },
  licenses: {
    ...common, form: { product: EVIL, status: EVIL, user: EVIL, hint: EVIL }, statuses: ['active', 'revoked', 'expired'], canWrite: true, nextUrl: EVIL, firstUrl: EVIL,
    problem: { section: 'product', message: EVIL },
    forms: {
      product: { name: EVIL, policyName: EVIL, maxDevices: EVIL, days: EVIL, floating: 'on', lease: EVIL, entitlements: EVIL, heartbeat: EVIL, grace: EVIL, churnLimit: EVIL },
      policy: { product: EVIL, policyName: EVIL, maxDevices: EVIL },
      issue: { policy: EVIL, user: EVIL, count: EVIL },
    },
    issued: [{ key: EVIL, license_id: EVIL }],
    products: [{ id: EVIL, name: EVIL, policies: [{ id: EVIL, name: EVIL, max_devices: 5, floating: false, lease_seconds: null, days: null, entitlements: [EVIL], heartbeat_seconds: 0, offline_grace_seconds: 0 }] }],
    licenses: [{ id: EVIL, key_hint: EVIL, product: EVIL, user_id: EVIL, status: 'active', expires_at: null, created_at: at }],
    selected: {
      id: EVIL, key_hint: EVIL, status: 'active', seats_used: 1, policy: { max_devices: 5 }, user_id: EVIL, expires_at: EVIL,
      activations: [{ id: EVIL, device_name: EVIL, fingerprint_hash: EVIL, created_at: at, last_heartbeat_at: at, released_at: null, release_reason: null, active: true }],
    },
  },
  keys: { ...common, keys: [{ kid: EVIL, alg: 'RS256', active: true, createdAt: at }], algs: ['RS256', 'ES256'], canWrite: true, formError: EVIL },
  audit: {
    ...common, form: { type: EVIL, who: EVIL, from: EVIL, to: EVIL }, formError: EVIL, nextUrl: '?before=1', firstUrl: '?',
    rows: [{
      id: '1', createdAt: at, type: EVIL, outcome: 'failure', ip: EVIL, userAgent: EVIL, data: EVIL,
      actor: { label: EVIL, id: EVIL, href: null }, subject: { label: EVIL, id: EVIL, href: '/admin/tenants/acme/users/u1' }, client: { label: EVIL, id: EVIL, href: null },
    }],
  },
  branding: { ...common, form: { logoUrl: EVIL, primaryColor: EVIL, formError: EVIL }, previewUrl: '/admin/tenants/acme/branding/preview?x=1', canWrite: true },
  policies: {
    ...common, canWrite: true, problem: { section: 'mfa', message: EVIL },
    methods: [{ key: 'password', label: EVIL, on: true }], signUp: true, requireVerifiedEmail: false, password: { min: 8, max: 128 },
    codes: { length: 6, maxAttempts: 5 },
    mfa: { policy: 'optional', graceDays: 7, trustedDeviceDays: 30, factors: [{ key: 'totp', on: true }] },
    ttl: [{ key: 'accessToken', label: EVIL, value: 3600 }],
    protocol: [{ key: 'par.enabled', label: EVIL, on: true }],
  },
  users: { ...common, q: EVIL, formError: EVIL, users: [{ id: user.id, email: EVIL, phone: EVIL, name: EVIL, disabled: false, lastLogin: '' }], nextUrl: '?cursor=x', firstUrl: '?',
    canWrite: true, create: { form: { email: EVIL, name: EVIL, verified: 'on' }, error: EVIL } },
  user: {
    ...common, user, base: `/admin/tenants/acme/users/${user.id}`, roles: [EVIL], assignable: [EVIL],
    identities: [{ connection: EVIL, subject: EVIL, email: EVIL, created_at: at }],
    factors: { totp: [{ name: EVIL, created_at: at }], passkeys: [{ name: EVIL, created_at: at }], recovery_codes_left: 3, trusted_devices: [] },
    sessions: [{ id: EVIL, browser: EVIL, os: EVIL, device: EVIL, ip: EVIL, amr: [EVIL], clients: [EVIL], apps: [{ label: EVIL, id: EVIL, href: '/admin/tenants/acme/clients/c1' }], createdAt: at, lastActiveAt: at }],
    sessionsNext: '?sessions=x#sessions', sessionsFirst: '?#sessions',
    can: { write: true, sessions: true }, locked: { seconds: 90, what: [EVIL] },
  },
  clients: {
    ...common, clients: [{ client_id: EVIL, client_name: EVIL, grant_types: [EVIL], token_endpoint_auth_method: EVIL }],
    kinds: [{ key: 'web', label: EVIL }], canWrite: true, form: { name: EVIL, kind: 'web', redirectUris: EVIL, postLogoutUris: EVIL, firstParty: 'on', formError: EVIL, errorField: 'redirectUris' },
    nextUrl: '?cursor=x', firstUrl: '?',
  },
  client: {
    ...common, client: { client_id: EVIL, client_name: EVIL, token_endpoint_auth_method: EVIL, has_secret: true, first_party: false },
    secret: EVIL, formError: EVIL, base: '/admin/tenants/acme/clients/c1', redirectUris: EVIL, postLogoutUris: EVIL, grants: ['authorization_code'],
    roles: [EVIL], assignable: [EVIL], canWrite: true, errorField: 'name',
    connect: { issuer: EVIL, discovery: 'https://id.example/t/acme/.well-known/openid-configuration', samples: [{ id: 'authjs', title: EVIL, note: EVIL, code: EVIL }] },
  },
  apps: {
    ...common, apps: [{ client_id: EVIL, client_name: EVIL, app_slug: EVIL }], canWrite: true, form: { name: EVIL, slug: EVIL, formError: EVIL },
  },
  app: {
    ...common, app: { client_id: EVIL, client_name: EVIL, app_slug: EVIL }, secret: EVIL, publicKey: EVIL, jwksUri: EVIL,
    base: '/admin/tenants/acme/apps/c1', canWrite: true,
  },
  setup: { ...common, operator: null, tenant: null, flash: null, csrfToken: '', setupCsrf: CSRF, needsToken: true, form: { email: EVIL, name: EVIL }, formError: EVIL },
  outbox: {
    ...common, tenant: { ...common.tenant, outbox: true },
    entries: [
      { at, channel: 'email', to: EVIL, subject: EVIL, text: EVIL, code: EVIL, link: EVIL, provider: EVIL, delivered: true },
      { at, channel: 'sms', to: EVIL, subject: null, text: EVIL, code: null, link: 'javascript:alert(1)', provider: null, delivered: false },
    ],
  },
  environments: {
    ...common, owner: EVIL, canWrite: true, formError: EVIL,
    environments: [{ environment: 'live', slug: 'acme', issuer: EVIL }, { environment: EVIL, slug: EVIL, issuer: EVIL }],
    promotion: {
      from: EVIL, to: 'live', applied: false,
      diff: { settings: [{ path: EVIL, from: EVIL, to: EVIL }], apis: [{ name: EVIL, from: null, to: { identifier: EVIL } }], roles: [{ name: EVIL, from: { name: EVIL }, to: null }], clients: [], clientsNotPromoted: [EVIL] },
    },
  },
};
