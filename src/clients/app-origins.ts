// The browser origins a headless app registers (its client metadata `allowed_origins`), for the REST auth API's CORS.

/** the app's registered origins; anything not a list of strings counts as none */
export function appAllowedOrigins(client: unknown): string[] {
  const origins = (client as { allowed_origins?: unknown } | undefined)?.allowed_origins;
  return Array.isArray(origins) ? origins.filter((o): o is string => typeof o === 'string') : [];
}
