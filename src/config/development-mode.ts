// What a non-production start turns on that production never does (issue #13, finding 7: development is the default
// mode, so whoever starts Tessera must see what it exposes). One line each, printed at start-up.
import type { Config } from './config.js';

/**
 * @param generatedSecrets the secrets withDevelopmentSecrets filled in from DATA_DIR (none were set)
 * @returns one line per development-only behaviour that is on; none in production
 */
export function developmentBehaviours(config: Config, generatedSecrets: readonly string[] = []): string[] {
  if (config.env === 'production') return [];
  const lines = [
    'outbox: every message is recorded with its code or link; /t/{slug}/outbox answers only this machine (loopback, no proxy), operators read it at /admin/tenants/{slug}/outbox',
    'fixed test codes: tenants may set signIn.testRecipients',
  ];
  if (config.outboundPolicy === 'allow-private') lines.push('private networks: OUTBOUND_POLICY=allow-private lets tenant-configured URLs (SMS, WhatsApp, SMTP, upstream IdPs, client jwks_uri, back-channel logout) use http and reach loopback and private addresses');
  if (generatedSecrets.length) lines.push(`generated secrets: ${generatedSecrets.join(', ')} read from ${config.dataDir}/secrets.json`);
  if (config.publicUrl.protocol === 'http:') lines.push(`http: PUBLIC_URL ${config.publicUrl.origin} is not https (cookies without Secure)`);
  if (config.cookieSecrets.some((secret) => secret.length < 32)) lines.push('short cookie secrets: COOKIE_SECRETS under 32 characters are accepted');
  if (config.seedDemo) lines.push('demo data: SEED_DEMO creates the demo tenant and client with the credentials shown below');
  if (config.env === 'development') lines.push('templates: pages are re-read from views/ on every request');
  const where = config.host ?? 'every interface';
  return [...lines.map((line) => `[${config.env} only] ${line}`), `[${config.env} only] listening on ${where}${config.host === '127.0.0.1' ? ' (set HOST to reach it from elsewhere)' : ''}`];
}
