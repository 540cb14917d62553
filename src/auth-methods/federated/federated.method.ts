// An upstream identity provider as a way in (AuthMethod): offered when the tenant enabled at least one connection;
// the login page draws one button per connection. The proof comes back by the upstream's redirect, which
// federated.routes.ts checks (state, PKCE, nonce), so the method has no `verify` of its own.
import type { AuthMethod } from '../auth-method.js';
import type { Connections } from './connections.js';

export function createFederatedMethod(connections: Pick<Connections, 'buttons'>): AuthMethod {
  return {
    id: 'federated',
    amr: ['fed'],
    factor: 'first',
    availableFor: (tenant) => connections.buttons(tenant.settings.connections).length > 0,
    loginPage: { flag: 'federated', path: '/federated', label: 'login.connection' },
  };
}
