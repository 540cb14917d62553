// An upstream identity provider as a way in (AuthMethod): offered when the tenant enabled at least one connection;
// the login page draws one button per connection. The upstream's answer comes back by a browser redirect, which
// federated.routes.ts checks (state bound to the browser, PKCE, nonce). The hosted page takes the verified profile
// inside its interaction; the REST API's sign-in (GET /v1/auth/authorize) gets a one-time token for it at the app's
// registered page instead, and `verify` takes that token: single use, for the login transaction it was made for.
// Which account the profile opens is account-linking.ts's decision, as on the hosted page.
import type { AuthMethod, MethodVerifyOutcome } from '../auth-method.js';
import type { AccountLinking } from './account-linking.js';
import type { Connections } from './connections.js';
import type { FederationStore } from './federation-store.js';

export interface FederatedMethodDeps {
  connections: Pick<Connections, 'buttons'>;
  federation: Pick<FederationStore, 'takeResult'>;
  linking: Pick<AccountLinking, 'resolve'>;
}

export function createFederatedMethod(deps: FederatedMethodDeps): AuthMethod & { verify: NonNullable<AuthMethod['verify']> } {
  return {
    id: 'federated',
    amr: ['fed'],
    factor: 'first',
    availableFor: (tenant) => deps.connections.buttons(tenant.settings.connections).length > 0,
    loginPage: { flag: 'federated', path: '/federated', label: 'login.connection' },

    async verify({ tenant, secret: token, transactionId, request, allowSignUp }): Promise<MethodVerifyOutcome> {
      const result = transactionId ? await deps.federation.takeResult(tenant.id, token) : null;
      if (!result || result.uid !== transactionId) return { ok: false, error: 'expired' };
      const connection = tenant.settings.connections[result.connection];
      // turned off since the upstream answered
      if (!connection?.enabled) return { ok: false, error: 'expired' };
      const resolution = await deps.linking.resolve({ tenantId: tenant.id, connectionId: result.connection, connection, signUp: allowSignUp ?? tenant.settings.signIn.signUp, profile: result.profile, request });
      if (resolution.kind === 'sign_in') {
        const email = resolution.user.email;
        return { ok: true, userId: resolution.user.id, identifier: email ? { kind: 'email', value: email } : null, amr: ['fed'], signUp: resolution.created };
      }
      return { ok: false, error: 'refused', reason: resolution.kind === 'prove_existing' ? 'link_required' : resolution.kind === 'sign_up_closed' ? 'sign_up_closed' : 'disabled' };
    },
  };
}
