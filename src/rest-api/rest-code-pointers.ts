// Which code a REST caller is answering. The REST API's sign-up, passwordless sign-in and recovery are answered with
// the email (or phone) and the code alone, no request id (the shared REST contract), so the latest code started for
// (tenant, app, purpose, identifier) is remembered here: one KvStore record named by an HMAC of those (a dump of
// the store cannot be searched for an address), sealed
// (it holds the challenge and transaction ids, which are bearer references), living as long as the code. A new code
// for the same identifier replaces the pointer: the latest code is the one that counts.
import { createHmac } from 'node:crypto';
import { createSealer, deriveSecret } from '../crypto/sealing.js';
import type { KvStore } from '../store/kv-store.js';

export type PointerPurpose = 'login' | 'signup' | 'reset';

export interface PointerScope { tenantId: string; clientId: string; purpose: PointerPurpose; /** normalised email or E.164 phone */ identifier: string }

export interface CodePointer { challengeId: string; /** the login transaction the code was started for (passwordless sign-in) */ transactionId: string | null }

export function createCodePointers(deps: { store: KvStore; secret: string }) {
  const sealer = createSealer([deriveSecret(deps.secret, 'rest code pointers v1')]);
  const macKey = deriveSecret(deps.secret, 'rest code pointer names v1');
  const keyOf = (scope: PointerScope) => `rest-code:${scope.tenantId}:${createHmac('sha256', macKey).update(`${scope.clientId}\0${scope.purpose}\0${scope.identifier}`).digest('base64url')}`;

  return {
    /** @param expiresAt epoch ms: when the code stops working */
    async remember(scope: PointerScope, pointer: CodePointer, expiresAt: number): Promise<void> {
      const key = keyOf(scope);
      await deps.store.set(key, sealer.seal(JSON.stringify(pointer), key), Math.max(1, Math.ceil((expiresAt - Date.now()) / 1000)));
    },
    async recall(scope: PointerScope): Promise<CodePointer | null> {
      const key = keyOf(scope);
      const raw = await deps.store.get(key);
      if (!raw) return null;
      try {
        return JSON.parse(sealer.open(raw, key)) as CodePointer;
      } catch {
        // sealed under a secret since replaced: as if no code had been asked for
        return null;
      }
    },
    async forget(scope: PointerScope): Promise<void> {
      await deps.store.del([keyOf(scope)]);
    },
  };
}

export type CodePointers = ReturnType<typeof createCodePointers>;
