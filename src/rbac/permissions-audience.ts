// Which API a token's permissions are read on. Permissions belong to an API (an absolute URI). A token for an API
// carries the permissions on it; a headless app's token has the app's slug as its audience (never a URI), and
// carries the permissions on the tenant's default API, as a hosted sign-in's token without a `resource` does
// (settings.defaultResource; none set: no permissions).

export function permissionsAudience(audience: string, defaultResource: string | null): string {
  return audience.includes(':') ? audience : defaultResource ?? audience;
}
