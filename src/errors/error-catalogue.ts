// Every error code our JSON APIs, CLI and pages can answer with. Protocol endpoints use oidc-provider's RFC errors.
export const errorCatalogue = {
  'request.invalid': { status: 400, message: 'The request is not valid.' },
  'request.too_large': { status: 413, message: 'The request body is too large.' },
  'request.unsupported_media_type': { status: 415, message: 'The request body must be form-encoded or JSON.' },
  'request.misdirected_host': { status: 421, message: 'This server does not answer for that host name.' },
  'request.csrf_failed': { status: 403, message: 'The form expired or was not sent from this site. Please try again.' },
  'route.not_found': { status: 404, message: 'There is nothing at this address.' },
  'route.method_not_allowed': { status: 405, message: 'This method is not allowed here.' },
  'tenant.not_found': { status: 404, message: 'No tenant exists at this address.' },
  'tenant.invalid_slug': { status: 400, message: 'A tenant slug is 2 to 40 lower-case letters, digits or hyphens, starting with a letter.' },
  'tenant.slug_taken': { status: 409, message: 'A tenant with this slug already exists.' },
  'tenant.reserved_slug': { status: 400, message: 'This slug is reserved.' },
  'client.not_found': { status: 404, message: 'No such client in this tenant.' },
  'client.invalid_metadata': { status: 400, message: 'The client settings are not valid.' },
  'user.invalid_email': { status: 400, message: 'That is not a valid email address.' },
  'user.email_taken': { status: 409, message: 'A user with this email already exists in this tenant.' },
  'password.too_short': { status: 400, message: 'The password is too short.' },
  'password.too_long': { status: 400, message: 'The password is too long.' },
  'password.too_common': { status: 400, message: 'The password is too common.' },
  'keys.invalid_alg': { status: 400, message: 'Supported signing algorithms are RS256, ES256 and EdDSA.' },
  'auth.rate_limited': { status: 429, message: 'Too many attempts. Please wait a moment and try again.' },
  'auth.unauthorized': { status: 401, message: 'Authentication is required.' },
  'db.embedded_in_use': { status: 409, message: 'The embedded database is in use by another Tessera process.' },
  'db.migrations_pending': { status: 503, message: 'The database schema is not up to date.' },
  'internal.error': { status: 500, message: 'Something went wrong on our side.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;
