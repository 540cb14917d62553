// An operator's "resend verification" (issue #14): a user whose email is not verified gets an email with a link that
// verifies it, in the language the user last signed in or up in (else the tenant's). The link's token is stored only as its digest, for a day, bound to the user
// and to the address it was sent to (a changed address is not verified by an old link), and is spent once: opening
// the link shows a button, and only pressing it (a same-site POST) verifies, so a mail scanner that follows links
// spends nothing. Sends count against the tenant's per-address and per-IP send limits, like every code.
// A link that no longer works can say why (issue #14): its record outlives it by a day, marked used, replaced (a
// newer link went to the same user) or past its expiry; an unknown token is simply not valid.
import { randomBytes } from 'node:crypto';
import { digest } from '../../crypto/sealing.js';
import { AppError } from '../../errors/app-error.js';
import type { KvStore } from '../../store/kv-store.js';
import type { Courier, CourierTenant } from '../../notifications/courier.js';
import type { SendLimits } from '../one-time-codes/send-limits.js';
import { isLocale } from '../../i18n/i18n.js';

/** how long a verification link works */
export const verificationLinkSeconds = 24 * 60 * 60;

export interface EmailVerificationDeps {
  store: KvStore;
  limits: SendLimits;
  courier: Courier;
  /** the installation's public origin: links are built from it, never from a request */
  publicUrl: URL;
  /** the user as stored now (email and whether it is verified), or null */
  findUser(tenantId: string, userId: string): Promise<{ id: string; email: string | null; emailVerified: boolean } | null>;
  markVerified(tenant: { id: string; slug: string }, userId: string): Promise<void>;
  /** the language the user last signed in or up in, or null (users.service.ts localeOf) */
  localeOf(tenantId: string, userId: string): Promise<string | null>;
  /** the clock (ms since the epoch); default Date.now */
  now?: () => number;
}

/** what became of a link that no longer works */
export type VerificationLinkFate = 'used' | 'replaced' | 'expired' | 'invalid';

/** `expiresAt` (ms) is absent from records written before links could say why they stopped working */
interface Pending { userId: string; email: string; expiresAt?: number }

/** how long a link's record outlives the link, so that its page can say what became of it */
const FATE_SECONDS = 24 * 60 * 60;
const keyOf = (tenantId: string, tokenDigest: string) => `email-verify:${tenantId}:${tokenDigest}`;
const key = (tenantId: string, token: string) => keyOf(tenantId, digest(token));
/** the digest of the newest link sent to a user: sending another marks that one replaced */
const latestKey = (tenantId: string, userId: string) => `email-verify-latest:${tenantId}:${userId}`;

export function createEmailVerification(deps: EmailVerificationDeps) {
  const now = deps.now ?? Date.now;

  /** the pending verification of a token if it is still to be used, else what became of it */
  async function pending(tenantId: string, token: string): Promise<{ raw: string; value: Pending } | { fate: VerificationLinkFate }> {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return { fate: 'invalid' };
    const raw = await deps.store.get(key(tenantId, token));
    if (!raw) return { fate: 'invalid' };
    if (raw === 'used' || raw === 'replaced') return { fate: raw };
    const value = JSON.parse(raw) as Pending;
    if (value.expiresAt !== undefined && value.expiresAt <= now()) return { fate: 'expired' };
    return { raw, value };
  }

  return {
    /**
     * Sends the link to the user's address.
     * @throws AppError user.not_found; request.invalid (no email, or already verified); auth.rate_limited (send limits)
     * @throws the courier's NotConfigured / delivery errors when the email cannot be sent (no SMTP in production)
     */
    async send(tenant: CourierTenant, userId: string, request: { ip: string }): Promise<{ email: string }> {
      const user = await deps.findUser(tenant.id, userId);
      if (!user) throw new AppError('user.not_found');
      if (!user.email) throw new AppError('request.invalid', 'This user has no email address to verify.');
      if (user.emailVerified) throw new AppError('request.invalid', 'The email address of this user is already verified.');
      const decision = await deps.limits.take({ tenantId: tenant.id, identifier: user.email, ip: request.ip, channel: 'email', limits: tenant.settings.signIn.limits });
      if (!decision.allowed) {
        throw new AppError('auth.rate_limited', `Too many emails were sent to this address. Try again in ${Math.max(1, Math.ceil(decision.retryAfterSeconds / 60))} minute(s).`);
      }
      const token = randomBytes(32).toString('base64url');
      const pendingValue = JSON.stringify({ userId: user.id, email: user.email, expiresAt: now() + verificationLinkSeconds * 1000 } satisfies Pending);
      await deps.store.set(key(tenant.id, token), pendingValue, verificationLinkSeconds + FATE_SECONDS);
      // the link sent before this one, if still unused, now says a newer one was sent
      const previous = await deps.store.get(latestKey(tenant.id, user.id));
      await deps.store.set(latestKey(tenant.id, user.id), digest(token), verificationLinkSeconds + FATE_SECONDS);
      if (previous) {
        const raw = await deps.store.get(keyOf(tenant.id, previous));
        if (raw && raw !== 'used' && raw !== 'replaced') await deps.store.compareAndSet(keyOf(tenant.id, previous), raw, 'replaced', FATE_SECONDS);
      }
      const link = new URL(`/t/${tenant.slug}/verify-email?token=${token}`, deps.publicUrl).href;
      // the user's own language (the one they last signed in or up in), else the tenant's default
      const locale = await deps.localeOf(tenant.id, user.id);
      await deps.courier.verificationLink({ tenant, to: user.email, link, ttlMinutes: verificationLinkSeconds / 60, ...(isLocale(locale) ? { locale } : {}) });
      return { email: user.email };
    },

    /** the address a link would verify, or what became of a link that no longer works */
    async peek(tenantId: string, token: string): Promise<{ email: string } | { fate: VerificationLinkFate }> {
      const found = await pending(tenantId, token);
      return 'fate' in found ? found : { email: found.value.email };
    },

    /**
     * Spends the link and verifies the address, if it is still the user's.
     * @returns the verified address, or what became of the link (`invalid` also when the address changed since)
     */
    async confirm(tenant: { id: string; slug: string }, token: string): Promise<{ userId: string; email: string } | { fate: VerificationLinkFate }> {
      const tenantId = tenant.id;
      const found = await pending(tenantId, token);
      if ('fate' in found) return found;
      // the atomic swap decides between two presses of the same link: one verifies, the other finds it used
      if (!(await deps.store.compareAndSet(key(tenantId, token), found.raw, 'used', FATE_SECONDS))) return { fate: 'used' };
      const user = await deps.findUser(tenantId, found.value.userId);
      if (!user || user.email !== found.value.email) return { fate: 'invalid' };
      if (!user.emailVerified) await deps.markVerified(tenant, user.id);
      return { userId: user.id, email: user.email };
    },
  };
}

export type EmailVerification = ReturnType<typeof createEmailVerification>;
