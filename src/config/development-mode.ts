// What a non-production start turns on that production never does (issue #13, finding 7: development is the default
// mode, so whoever starts Tessera must see what it exposes). One line each, printed at start-up.
import type { Config } from './config.js';
import { mintDevelopmentToken } from './development-token.js';

/** production for sandbox behaviour (issue #19): NODE_ENV=production or any marker; markers only add strictness */
export const productionDetected = (config: Pick<Config, 'env' | 'productionMarker'>): boolean =>
  config.env === 'production' || config.productionMarker !== null;

/**
 * @param generatedSecrets the secrets withDevelopmentSecrets filled in from DATA_DIR (none were set)
 * @returns one line per development-only behaviour that is on; none in production
 */
export function developmentBehaviours(config: Config, generatedSecrets: readonly string[] = []): string[] {
  if (config.env === 'production') return [];
  const lines = [
    'outbox: every message is recorded with its code or link; /t/{slug}/outbox answers only this machine (loopback, no proxy), operators read it at /admin/tenants/{slug}/outbox',
    'fixed test codes: sandbox environments may set signIn.testRecipients and signIn.debugCode',
  ];
  if (config.outboundPolicy === 'allow-private') lines.push('private networks: OUTBOUND_POLICY=allow-private lets tenant-configured URLs (SMS, WhatsApp, SMTP, upstream IdPs, client jwks_uri, back-channel logout) use http and reach loopback and private addresses');
  if (generatedSecrets.length) lines.push(`generated secrets: ${generatedSecrets.join(', ')} read from ${config.dataDir}/secrets.json`);
  if (config.publicUrl.protocol === 'http:') lines.push(`http: PUBLIC_URL ${config.publicUrl.origin} is not https (cookies without Secure)`);
  if (config.cookieSecrets.some((secret) => secret.length < 32)) lines.push('short cookie secrets: COOKIE_SECRETS under 32 characters are accepted');
  if (config.seedDemo) lines.push('demo data: SEED_DEMO creates the demo tenant and client with the credentials shown below');
  if (config.env === 'development') lines.push('templates: pages are re-read from views/ on every request');
  if (config.developmentToken.state === 'on') lines.push(`development token for tenant ${config.developmentToken.tenant} (Management API and /v1, full rights): ${mintDevelopmentToken(config.developmentToken.tenant, config.developmentToken.secret)}`);
  return [...lines, listening(config)].map((line) => `[${config.env} only] ${line}`);
}

/**
 * Where the server listens and, on loopback, how to open it to other machines on purpose: HOST alone is not enough,
 * since a request for any host but PUBLIC_URL's is refused (421), so the line names both and what it exposes.
 */
function listening(config: Config): string {
  const where = config.host ?? 'every interface';
  if (!config.host || !['127.0.0.1', '::1', 'localhost'].includes(config.host)) return `listening on ${where}`;
  return `listening on ${where} only: to reach it from another machine on purpose, restart with HOST=0.0.0.0 and PUBLIC_URL set to the address the others use, e.g. HOST=0.0.0.0 PUBLIC_URL=http://<this machine's address>:${config.port} npm start; anyone on that network can then reach it, including the outbox with its live sign-in codes`;
}

/** the one start-up line saying why TESSERA_DEV_SECRET gives no token here; null when it does or is not set */
export function developmentTokenRefusal(config: Pick<Config, 'developmentToken'>): string | null {
  const token = config.developmentToken;
  return token.state === 'blocked' ? `development token refused: ${token.blockedBy}; nothing was printed and none is accepted` : null;
}
