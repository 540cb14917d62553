// The hosted pages' side of the login transaction (src/login/, issue #16 §1): each interaction has ONE transaction,
// whose id is bound to the interaction's uid (login-transaction.store.ts idFor), so the pages need no reference of
// their own — the interaction cookie already binds the flow to this browser. Used by the MFA gate and by the
// federated method (a link waiting for the user to prove the existing account).
import type { LoginEvent, LoginPolicy, LoginTransaction } from '../login/login-transaction.machine.js';
import type { ApplyResult, LoginTransactions } from '../login/login-transaction.store.js';

/** how long a hosted sign-in may wait between its steps (the transaction's one TTL) */
export const hostedLoginSeconds = 900;

export interface HostedBegin {
  tenantId: string;
  uid: string;
  clientId: string | null;
  method: string;
  stepUp?: boolean;
  identifier?: LoginTransaction['identifier'];
  methodData?: Record<string, unknown> | null;
}

const beginOf = (id: string, input: HostedBegin) => ({
  id, tenantId: input.tenantId, clientId: input.clientId, front: 'hosted' as const, method: input.method,
  identifier: input.identifier ?? null, methodData: input.methodData ?? null, stepUp: input.stepUp ?? false, ttlSeconds: hostedLoginSeconds,
});

export function createHostedLogins(logins: LoginTransactions) {
  const idOf = (tenantId: string, uid: string) => logins.idFor(tenantId, `interaction:${uid}`);
  return {
    /** the interaction's transaction as it stands; null when none began, it is gone, or it is not a hosted one */
    async get(tenantId: string, uid: string): Promise<LoginTransaction | null> {
      const tx = await logins.get(tenantId, idOf(tenantId, uid));
      return tx?.front === 'hosted' ? tx : null;
    },
    /** a new transaction for the interaction, replacing whatever an earlier attempt left */
    async restart(input: HostedBegin): Promise<LoginTransaction> {
      const id = idOf(input.tenantId, input.uid);
      await logins.discard(input.tenantId, id);
      return logins.begin(beginOf(id, input));
    },
    /** restart() with the new transaction's first events applied in the same write (login-transaction.store.ts beginWith) */
    async restartWith(input: HostedBegin, events: readonly { event: LoginEvent; policy: LoginPolicy | null }[]): Promise<ApplyResult> {
      const id = idOf(input.tenantId, input.uid);
      await logins.discard(input.tenantId, id);
      return logins.beginWith(beginOf(id, input), events);
    },
    apply: (tenantId: string, uid: string, event: LoginEvent, policy: LoginPolicy | null): Promise<ApplyResult> => logins.apply(tenantId, idOf(tenantId, uid), event, policy),
  };
}

export type HostedLogins = ReturnType<typeof createHostedLogins>;

/** the transaction's `method` for a hosted first factor, read from what it proved (RFC 8176) */
export function firstFactorOf(amr: readonly string[]): string {
  if (amr.includes('fed')) return 'federated';
  if (amr.includes('hwk')) return 'passkey';
  if (amr.includes('pwd')) return 'password';
  if (amr.includes('sms')) return 'sms_otp';
  return amr.includes('otp') ? 'one_time_code' : 'session';
}
