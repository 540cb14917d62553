// What a non-production start turns on that production never does (issue #13, finding 7: development is the default
// mode, so whoever starts Tessera must see what it exposes). One line each, printed at start-up.
import type { Config } from './config.js';
import { mintDevelopmentToken } from './development-token.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Environment variables that hosting platforms set in every deployment: any of them means production. */
export const platformMarkers: readonly { readonly variable: string; readonly platform: string }[] = [
  { variable: 'FLY_APP_NAME', platform: 'Fly.io' },
  { variable: 'RAILWAY_ENVIRONMENT', platform: 'Railway' },
  { variable: 'RENDER', platform: 'Render' },
  { variable: 'DYNO', platform: 'Heroku' },
  { variable: 'VERCEL', platform: 'Vercel' },
  { variable: 'NETLIFY', platform: 'Netlify' },
  { variable: 'K_SERVICE', platform: 'Cloud Run' },
  { variable: 'AWS_LAMBDA_FUNCTION_NAME', platform: 'AWS Lambda' },
  { variable: 'ECS_CONTAINER_METADATA_URI', platform: 'AWS ECS' },
  { variable: 'ECS_CONTAINER_METADATA_URI_V4', platform: 'AWS ECS' },
  { variable: 'KUBERNETES_SERVICE_HOST', platform: 'Kubernetes' },
];

const truthy = (value: string | undefined) => value !== undefined && !['', 'false', '0', 'no'].includes(value.trim().toLowerCase());

/** a hosting platform's variable or PRODUCTION=true, whatever NODE_ENV says: sandbox behaviour is off there too */
export function productionMarker(env: Env): string | null {
  const marker = platformMarkers.find(({ variable }) => env[variable] !== undefined && env[variable] !== '');
  if (marker) return `${marker.variable} is set (${marker.platform})`;
  return truthy(env.PRODUCTION) ? 'PRODUCTION is set' : null;
}

/** production for sandbox behaviour (issue #19): NODE_ENV=production or any marker; markers only add strictness */
export const productionDetected = (config: Pick<Config, 'env' | 'productionMarker'>): boolean =>
  config.env === 'production' || config.productionMarker !== null;

/**
 * Why `env` counts as production for development-only credentials (issue #19), or null when development is
 * declared explicitly and nothing says otherwise. Fails closed: NODE_ENV alone is not trusted on preview
 * deployments, so a platform marker or PRODUCTION=true wins over any declaration, and no declaration is production.
 */
export function productionSignal(env: Env): string | null {
  const marker = productionMarker(env);
  if (marker) return marker;
  if (env.NODE_ENV === 'production') return 'NODE_ENV=production';
  if (env.TESSERA_ENV === 'production') return 'TESSERA_ENV=production';
  if (env.NODE_ENV !== 'development' && env.TESSERA_ENV !== 'development') return 'development is not declared (NODE_ENV=development or TESSERA_ENV=development)';
  return null;
}

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
