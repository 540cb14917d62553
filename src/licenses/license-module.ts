// The licensing feature's services built from their dependencies (issue #20): `admin` for operators (Management
// API, CLI, console) and `devices` for the backend license API.
import type { AuditLog } from '../audit/audit-log.js';
import type { LicensesRepository } from '../db/licenses.repository.js';
import type { SigningKeys } from '../tenants/signing-keys.js';
import type { RateLimiter } from '../store/rate-limiter.js';
import { createLicenseCredentials } from './license-credentials.js';
import { createLicenseDevices } from './license-devices.service.js';
import { createLicenseSigner } from './license-token.js';
import { createLicenses } from './licenses.service.js';

export function createLicenseModule(deps: {
  repository: LicensesRepository; keys: Pick<SigningKeys, 'loadJwks'>; limiter: RateLimiter; audit: AuditLog; now: () => number;
  /** the first hashes new keys; all are tried when a key is looked up */
  peppers: readonly string[];
  userExists(tenantId: string, userId: string): Promise<boolean>;
}) {
  const credentials = createLicenseCredentials({ repository: deps.repository, keys: deps.keys, peppers: deps.peppers, now: deps.now });
  return {
    admin: createLicenses({ repository: deps.repository, audit: deps.audit, pepper: deps.peppers[0]!, now: deps.now, userExists: deps.userExists }),
    devices: createLicenseDevices({ repository: deps.repository, credentials, signer: createLicenseSigner({ keys: deps.keys }), limiter: deps.limiter, audit: deps.audit, now: deps.now }),
  };
}
