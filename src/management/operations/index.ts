// The registry: every operation of the Management API, in the order the OpenAPI document lists them.
import type { Operation } from '../operation.js';
import { tenantOperations } from './tenants.operations.js';
import { environmentOperations } from './environments.operations.js';
import { roleOperations } from './roles.operations.js';
import { apiOperations } from './apis.operations.js';
import { keyOperations } from './keys.operations.js';
import { auditOperations } from './audit.operations.js';
import { clientOperations } from './clients.operations.js';
import { userOperations } from './users.operations.js';
import { userAccessOperations } from './user-access.operations.js';
import { appOperations } from './apps.operations.js';
import { registrationOperations } from './registration.operations.js';
import { licenseOperations } from './licenses.operations.js';

export const operations: readonly Operation[] = [
  ...tenantOperations,
  ...environmentOperations,
  ...clientOperations,
  ...appOperations,
  ...registrationOperations,
  ...userOperations,
  ...userAccessOperations,
  ...roleOperations,
  ...apiOperations,
  ...keyOperations,
  ...auditOperations,
  ...licenseOperations,
];

export function findOperation(id: string): Operation | undefined {
  return operations.find((operation) => operation.id === id);
}
