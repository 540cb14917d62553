// Which account an upstream sign-in opens (issue #4), by these rules, in this order:
// 1. an identity already links this upstream account: that user.
// 2. an account has the same email: linked automatically only when the upstream asserts the email verified, the
//    tenant marked the connection trusted for linking, and the account's own email is verified too — an
//    unverified local account may have been created by someone else with the victim's address, waiting for
//    exactly this merge ("pre-account takeover"). Otherwise the user must first sign in to that account.
// 3. no such account: a new one when the tenant takes sign-ups, else refused.
import type { AuditLog } from '../../audit/audit-log.js';
import type { UsersService } from '../../accounts/users.service.js';
import type { UserRecord } from '../../db/users.repository.js';
import type { IdentitiesRepository, IdentityInput } from '../../db/identities.repository.js';
import { AppError } from '../../errors/app-error.js';
import type { ConnectionSettings } from '../../tenants/connection-settings.js';
import type { UpstreamProfile } from './upstream.js';

export type Resolution =
  | { kind: 'sign_in'; user: UserRecord; created: boolean; linked: boolean }
  | { kind: 'disabled' }
  /** an account with this email exists and must be proven before the link is made */
  | { kind: 'prove_existing'; user: UserRecord }
  | { kind: 'sign_up_closed' };

export const identityInput = (connection: string, profile: UpstreamProfile): IdentityInput => ({
  connection, subject: profile.subject, email: profile.email, emailVerified: profile.emailVerified,
  profile: { name: profile.name, picture: profile.picture },
});

interface Request { ip: string; userAgent: string | null }

export function createAccountLinking(deps: { users: UsersService; identities: IdentitiesRepository; audit: AuditLog }) {
  const { users, identities, audit } = deps;

  /** @throws AppError('identity.taken') */
  async function link(tenantId: string, userId: string, connection: string, profile: UpstreamProfile, how: 'automatic' | 'proven' | 'account_page' | 'sign_up', request: Request) {
    await identities.create(tenantId, userId, identityInput(connection, profile));
    await audit.record({ tenantId, type: 'identity.linked', actor: userId, subject: userId, ...request, data: { connection, issuer: profile.issuer, how } });
  }

  return {
    link,
    /**
     * The owner of `email` just proved the mailbox (a code or link sent to it) on an account whose email was
     * unverified. An upstream account that put this address on the account without verifying it is the one way in
     * that never proved it — possibly someone squatting the address — so it is unlinked.
     * @returns the connections unlinked
     */
    async emailProven(tenantId: string, userId: string, email: string, request: Request): Promise<string[]> {
      const dropped = await identities.removeUnproven(tenantId, userId, email);
      for (const connection of dropped) {
        await audit.record({ tenantId, type: 'identity.unlinked', actor: userId, subject: userId, ...request, data: { connection, reason: 'email_proven_by_owner' } });
      }
      return dropped;
    },
    async resolve(input: { tenantId: string; connectionId: string; connection: ConnectionSettings; signUp: boolean; profile: UpstreamProfile; request: Request }): Promise<Resolution> {
      const { tenantId, connectionId, profile, request } = input;
      const known = await identities.find(tenantId, connectionId, profile.subject);
      if (known) {
        const user = await users.findById(tenantId, known.userId);
        if (!user || user.disabled) return { kind: 'disabled' };
        await identities.refresh(known.id, identityInput(connectionId, profile));
        await users.recordLogin(user.id);
        return { kind: 'sign_in', user, created: false, linked: false };
      }
      const existing = profile.email ? await users.findByEmail(tenantId, profile.email) : null;
      if (existing) {
        if (existing.disabled) return { kind: 'disabled' };
        if (profile.emailVerified && input.connection.trustedForLinking && existing.emailVerified) {
          await link(tenantId, existing.id, connectionId, profile, 'automatic', request);
          await users.recordLogin(existing.id);
          return { kind: 'sign_in', user: existing, created: false, linked: true };
        }
        return { kind: 'prove_existing', user: existing };
      }
      if (!input.signUp) return { kind: 'sign_up_closed' };
      let user: UserRecord;
      try {
        user = await users.createFederated(tenantId, profile);
      } catch (error) {
        // the same email signed up a moment ago by another way in: that account must be proven, as above
        if (error instanceof AppError && error.code === 'user.email_taken' && profile.email) {
          const raced = await users.findByEmail(tenantId, profile.email);
          if (raced) return { kind: 'prove_existing', user: raced };
        }
        throw error;
      }
      await link(tenantId, user.id, connectionId, profile, 'sign_up', request);
      await audit.record({ tenantId, type: 'signup.completed', actor: user.id, subject: user.id, ...request, data: { method: 'federated', connection: connectionId } });
      return { kind: 'sign_in', user, created: true, linked: true };
    },
  };
}

export type AccountLinking = ReturnType<typeof createAccountLinking>;
