// The one answer to "is this tenant's sandbox behaviour in force?" (issue #19): every message to the outbox and no
// vendor, the environment's fixed debug code and its test recipients' codes, the "sandbox" banner on hosted pages.
// Settings alone never decide it: a live environment never is a sandbox, and neither is anything once production is
// detected (NODE_ENV=production, PRODUCTION=true or a hosting platform's marker), whatever was saved before.
import { splitSlug, liveEnvironment } from './environment-names.js';

export interface SandboxCandidate {
  /** `acme` (live) or `acme~sandbox`: the environment is read from the slug, the one thing every tenant record carries */
  readonly slug: string;
  readonly settings?: { readonly signIn?: { readonly sandbox?: boolean } };
}

/**
 * Fails closed: only `signIn.sandbox === true` on an environment other than live, outside production. A missing
 * slug, settings or flag is no sandbox.
 * @param production production detected (productionDetected, config/development-mode.ts)
 */
export function sandboxInForce(tenant: SandboxCandidate | null | undefined, production: boolean): boolean {
  if (production !== false || !tenant || typeof tenant.slug !== 'string') return false;
  if (splitSlug(tenant.slug).environment === liveEnvironment) return false;
  return tenant.settings?.signIn?.sandbox === true;
}

/**
 * Whether messages are recorded in the outbox (and it may be read): everywhere outside NODE_ENV=production, as a
 * development and test installation's stand-in for delivery. Every environment whose sandbox behaviour is in force
 * is among them, so no tenant is ever a sandbox without its outbox.
 */
export const outboxKept = (env: string): boolean => env !== 'production';
