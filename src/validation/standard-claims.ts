// OIDC Core 5.4: which claims each standard scope releases.
export const standardClaims = {
  openid: ['sub', 'acr', 'amr'],
  profile: [
    'name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username', 'profile',
    'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at',
  ],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
  address: ['address'],
} as const;

/** the scopes oidc-provider knows itself (its `scopes` option); any other scope a client asks for belongs to an API */
export const openidScopes: ReadonlySet<string> = new Set([...Object.keys(standardClaims), 'offline_access']);

/** every claim a user's profile may hold; sub, email and phone come from the user's own columns */
export const profileClaimNames: ReadonlySet<string> = new Set([
  ...standardClaims.profile.filter((claim) => claim !== 'updated_at'),
  ...standardClaims.address,
]);
