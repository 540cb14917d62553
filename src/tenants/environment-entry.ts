// Who may enter which environment of a tenant (issue #19), the rule alone: oidc/environment-access.ts applies it to
// switching and /v1/environments, and each tenant's provider (oidc/tenant-provider-instance.ts) to its sign-ins.
import { liveEnvironment } from './environment-names.js';

/** the rule: live is every user's; another environment is entered by a user holding a role in it */
export function mayEnterEnvironment(environment: string, rolesThere: readonly string[]): boolean {
  return environment === liveEnvironment || rolesThere.length > 0;
}
