// An upstream account waiting for the user to prove the existing account it matches (by verified email): kept in
// the interaction's login transaction (hosted-login.ts) as its `identified` state — the federated method identified
// the account, the first factor is still to come — and made once that very account signs in. The first factor's
// success moves the transaction on (compare-and-set), so a waiting link is made at most once.
import type { Context } from 'koa';
import { AppError } from '../../errors/app-error.js';
import { requestInfo } from '../../http/request-info.js';
import { firstFactorOf, type HostedLogins } from '../hosted-login.js';
import type { AccountLinking } from './account-linking.js';
import type { UpstreamProfile } from './upstream.js';

export interface PendingLink { userId: string; connection: string; profile: UpstreamProfile }

export function createPendingLinks(deps: { logins: HostedLogins; linking: AccountLinking }) {
  const { logins } = deps;

  async function peek(tenantId: string, uid: string): Promise<PendingLink | null> {
    const tx = await logins.get(tenantId, uid);
    if (!tx || tx.state !== 'identified' || tx.method !== 'federated' || !tx.methodData) return null;
    return tx.methodData as unknown as PendingLink;
  }

  return {
    /** the interaction's sign-in starts over, identified by the upstream account, waiting for the proof */
    async save(tenantId: string, uid: string, clientId: string | null, link: PendingLink): Promise<void> {
      await logins.restart({ tenantId, uid, clientId, method: 'federated', methodData: { ...link } });
    },
    peek,
    /** the BeforeLogin hook: a waiting link is made once the user signs in to the very account it is for */
    async onSignIn(ctx: Context, login: { tenantId: string; uid: string; accountId: string; amr: string[] }): Promise<string[]> {
      const pending = await peek(login.tenantId, login.uid);
      if (!pending) return login.amr;
      // the first factor moves the transaction on; of two concurrent sign-ins only one finds it still waiting
      const claimed = await logins.apply(login.tenantId, login.uid, { type: 'first_factor_passed', userId: login.accountId, method: firstFactorOf(login.amr), amr: login.amr }, null);
      // signed in to another account: the offer lapses, nothing is linked
      if (!claimed.ok || pending.userId !== login.accountId) return login.amr;
      try {
        await deps.linking.link(login.tenantId, login.accountId, pending.connection, pending.profile, 'proven', requestInfo(ctx));
      } catch (error) {
        if (error instanceof AppError && error.code === 'identity.taken') return login.amr;
        throw error;
      }
      return [...new Set([...login.amr, 'fed'])];
    },
  };
}

export type PendingLinks = ReturnType<typeof createPendingLinks>;
