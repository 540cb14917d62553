// What the consent page lists: the scopes and claims the client asks for that the user has not granted yet.
const scopeDescriptions: Record<string, string> = {
  openid: 'Sign you in',
  profile: 'See your name and profile details',
  email: 'See your email address',
  phone: 'See your phone number',
  address: 'See your postal address',
  offline_access: 'Stay signed in when you are not using it',
};

export function consentView(details: { prompt: { details: Record<string, unknown> } }) {
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  const scopes = (missing.missingOIDCScope ?? []).map((name) => ({ name, description: scopeDescriptions[name] ?? '' }));
  for (const [resource, names] of Object.entries(missing.missingResourceScopes ?? {})) {
    for (const name of names) scopes.push({ name, description: `Access ${resource}` });
  }
  return { scopes, claims: missing.missingOIDCClaims ?? [] };
}
