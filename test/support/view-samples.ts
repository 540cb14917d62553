// Sample data for every hosted-page template, hostile where text is shown, and what the view tests share.
import { createPageRenderer, viewsDir, type PageRenderer } from '../../src/http/page-renderer.js';
import { translator } from '../../src/i18n/i18n.js';

export const EVIL = '<script>alert(1)</script>"x';
export const EVIL_ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;&#34;x';
export const CSRF = 'csrf-token-123';
/** the one script a hosted page may run: ours, from our origin (the page's CSP says script-src 'self') */
export const PASSKEY_SCRIPT = '<script src="/assets/passkeys.js" defer></script>';
export const english = translator('en');
/** renders as the server does, in English (the server adds the words of the request's language) */
export const renderer: PageRenderer = {
  render: (view, data) => createPageRenderer({ viewsDir, cache: false }).render(view, { t: english.t, th: english.th, ...data }),
};

export function page(logoUrl: string | null = null, refreshSeconds: unknown = null) {
  return {
    lang: 'de',
    title: 'Sign in',
    refreshSeconds,
    tenant: { name: EVIL, slug: 'acme', logoUrl },
    assetsUrl: '/assets',
    brandCssUrl: '/t/acme/brand.css',
  };
}

export const LOGOUT_FORM =
  `<form id="op.logoutForm" method="post" action="/t/acme/session/end/confirm"><input type="hidden" name="xsrf" value="${CSRF}"/></form>`;

export const samples: Record<string, Record<string, unknown>> = {
  login: {
    page: page(), action: '/i/1/login', csrfToken: CSRF, email: EVIL, error: EVIL, notice: EVIL, clientName: EVIL, abortUrl: '/i/1/abort',
    methods: { password: true, emailOtp: true, magicLink: true, phone: true, signUp: true, passwordReset: true },
    urls: { emailCode: '/i/1/email-code', magicLink: '/i/1/magic-link', phone: '/i/1/phone', signUp: '/i/1/signup', reset: '/i/1/reset', federated: '/i/1/federated' },
    connections: [{ id: 'google', name: EVIL, type: 'google', backgroundColor: null, textColor: null }],
    otherWays: [],
  },
  consent: {
    page: page(), action: '/i/1/consent', abortUrl: '/i/1/abort', csrfToken: CSRF, clientName: EVIL,
    scopes: [{ name: 'email', description: EVIL }], claims: ['email', EVIL],
  },
  logout: { page: page(), formHtml: LOGOUT_FORM, clientName: EVIL },
  'logged-out': { page: page(), clientName: EVIL },
  'device-input': { page: page(), action: '/t/acme/device', xsrf: CSRF, error: EVIL },
  'device-confirm': { page: page(), formHtml: `<form id="op.deviceConfirmForm" method="post" action="/t/acme/device"><input type="hidden" name="xsrf" value="${CSRF}"/></form>`, clientName: EVIL, userCode: EVIL },
  'device-success': { page: page(), clientName: EVIL },
  error: { page: page(), heading: EVIL, message: EVIL, requestId: EVIL, backUrl: 'https://app.example.com/' },
  expired: { page: page(), backUrl: 'https://app.example.com/' },
  home: { page: page(), origin: EVIL, demoIssuer: EVIL, elsewhereCommand: EVIL, demoSignInUrl: 'https://id.example.com/t/demo/auth?client_id=x', needsOwner: true },
  'home-minimal': { page: page() },
  'demo-callback': { page: page(), code: EVIL, state: EVIL, command: EVIL, error: null, errorDescription: null, errorText: null },
  phone: { page: page(), action: '/i/1/phone', csrfToken: CSRF, phone: EVIL, error: EVIL, channels: { sms: true, whatsapp: true }, backUrl: '/i/1' },
  code: {
    page: page(), action: '/i/1/code/c1', resendAction: '/i/1/code/c1/resend', csrfToken: CSRF, destination: EVIL, channel: 'email',
    purpose: 'login', codeLength: 6, error: EVIL, notice: EVIL, resendAvailableIn: 42, backUrl: '/i/1',
  },
  'magic-link-sent': { page: page(), destination: EVIL, codeAction: '/i/1/code/c1', backUrl: '/i/1' },
  'magic-link-elsewhere': { page: page() },
  'link-gone': { page: page(), heading: EVIL, lead: EVIL, sendNewUrl: '/t/acme/interaction/1/reset', sendNewLabel: EVIL, loginUrl: '/t/acme/interaction/1', loginLabel: EVIL },
  signup: { page: page(), action: '/i/1/signup', csrfToken: CSRF, email: EVIL, name: EVIL, error: EVIL, loginUrl: '/i/1', minLength: 8 },
  'reset-request': { page: page(), action: '/i/1/reset', csrfToken: CSRF, email: EVIL, error: EVIL, loginUrl: '/i/1' },
  'reset-password': { page: page(), action: '/i/1/reset/password?p=abc&x=1', csrfToken: CSRF, error: EVIL, minLength: 10 },
  notice: { page: page(), heading: EVIL, message: EVIL, backUrl: 'https://app.example.com/' },
  mfa: {
    page: page(), csrfToken: CSRF, error: EVIL, totp: true, passkey: false, recovery: true, remember: 30, sms: EVIL, email: EVIL,
    urls: { totp: '/i/1/mfa/totp', recovery: '/i/1/mfa/recovery', sms: '/i/1/mfa/code/sms', email: '/i/1/mfa/code/email', passkeyOptions: '/i/1/mfa/passkey/options', passkey: '/i/1/mfa/passkey', abort: '/i/1/abort' },
  },
  'totp-enrol': { page: page(), csrfToken: CSRF, error: EVIL, qrDataUrl: 'data:image/png;base64,AAAA', secret: EVIL, required: true, action: '/i/1/mfa/enrol', backUrl: '/t/acme/account/security', abortUrl: '/i/1/abort' },
  'recovery-codes': { page: page(), codes: [EVIL, 'abcde-fghjk'], csrfToken: CSRF, continueAction: '/i/1/mfa/enrol/done', backUrl: null },
  'account-security': {
    page: page(), csrfToken: CSRF, base: '/t/acme/account/security', notice: EVIL, policy: 'required', totpAllowed: true,
    passkeysUrl: '/t/acme/account/passkeys', accountUrl: '/t/acme/account', recoveryLeft: 7, hasFactor: true,
    totps: [{ id: 'f1', name: EVIL, since: '2026-11-24', lastUsed: null }],
    devices: [{ id: 'd1', device: EVIL, ip: '127.0.0.1', since: '2026-11-24', until: '2026-12-24' }],
  },
  'account-sessions': {
    page: page(), csrfToken: CSRF, base: '/t/acme/account/sessions', notice: EVIL, accountUrl: '/t/acme/account',
    sessions: [
      { id: 's1', browser: EVIL, os: EVIL, device: 'desktop', ip: EVIL, amr: ['pwd'], method: EVIL, roles: [EVIL], clients: [], createdAt: '2026-11-24T10:00:00.000Z', lastActiveAt: '2026-11-24T11:00:00.000Z', expiresAt: null, current: true },
      { id: 's2', browser: 'Firefox 140', os: 'Linux', device: 'desktop', ip: null, amr: ['otp', 'mfa'], method: 'one-time code', roles: [], clients: [], createdAt: '2026-11-24T10:00:00.000Z', lastActiveAt: '2026-11-24T11:00:00.000Z', expiresAt: null, current: false },
    ],
  },
  'verify-email': { page: page(), email: EVIL, token: EVIL, csrfToken: CSRF, action: '/t/acme/verify-email' },
  'federated-link': { page: page(), name: EVIL, email: EVIL, continueUrl: '/i/1/federated/continue', backUrl: '/i/1' },
  'account-passkeys': {
    page: page(), signedIn: true, who: EVIL, csrfToken: CSRF, base: '/t/acme/account/passkeys', accountUrl: '/t/acme/account', notice: EVIL, isError: false,
    available: true, enabled: true,
    passkeys: [{ id: 'p1', name: EVIL, created: '2026-11-24', lastUsed: null, synced: true }, { id: 'p2', name: 'Phone', created: '2026-11-24', lastUsed: '2026-11-25', synced: false }],
  },
  account: {
    page: page(), signedIn: true, who: EVIL, csrfToken: CSRF, base: '/t/acme/account', notice: EVIL, isError: false,
    linked: [{ connection: 'github', name: EVIL, email: EVIL, since: '2026-11-24', removable: true }, { connection: 'google', name: 'Google', email: null, since: '2026-11-24', removable: false }],
    addable: [{ id: 'discord', name: EVIL, type: 'discord', backgroundColor: null, textColor: null }],
  },
  outbox: {
    page: page(),
    entries: [
      { id: '1', at: '2026-01-02T03:04:05.678Z', channel: 'email', to: EVIL, subject: EVIL, text: EVIL, code: EVIL, link: `https://id.example.com/t/acme/magic?t=${EVIL}`, provider: EVIL, delivered: true },
      { id: '2', at: '2026-01-02T03:04:00.000Z', channel: 'sms', to: '+15005550006', subject: null, text: `SMS ${EVIL}`, code: '1234', link: 'javascript:alert(1)', provider: null, delivered: false },
    ],
  },
};

export function inputIds(html: string): string[] {
  const inputs = html.match(/<input\b[^>]*>/g) ?? [];
  return inputs.filter((tag) => !/type="hidden"/.test(tag)).map((tag) => /\bid="([^"]+)"/.exec(tag)?.[1] ?? '');
}


export const render = (view: string, extra: Record<string, unknown> = {}) => renderer.render(view, { ...samples[view], ...extra });
export const buttons = (html: string) => html.match(/<button\b[^>]*>[^<]*<\/button>/g) ?? [];
export const button = (html: string, label: string) => buttons(html).find((b) => b.endsWith(`>${label}</button>`));
export const formCount = (html: string) => html.match(/<form\b/g)?.length ?? 0;
