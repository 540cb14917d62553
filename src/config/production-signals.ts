// What says a start is production (issues #13 and #19): a hosting platform's variables, PRODUCTION=true, NODE_ENV or
// TESSERA_ENV. Read by config.ts and the token verifier, before any Config exists.

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
