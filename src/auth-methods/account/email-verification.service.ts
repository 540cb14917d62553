// An operator's "resend verification" (issue #14): a user whose email is not verified gets an email with a link that
// verifies it, in the language the user last signed in or up in (else the tenant's). The link's token is stored only as its digest, for a day, bound to the user
// and to the address it was sent to (a changed address is not verified by an old link), and is spent once: opening
// the link shows a button, and only pressing it (a same-site POST) verifies, so a mail scanner that follows links
// spends nothing. Sends count against the tenant's per-address and per-IP send limits, like every code.
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
}

interface Pending { userId: string; email: string }

const key = (tenantId: string, token: string) => `email-verify:${tenantId}:${digest(token)}`;

export function createEmailVerification(deps: EmailVerificationDeps) {
  /** the pending verification of a token, if it is still to be used */
  async function pending(tenantId: string, token: string): Promise<{ raw: string; value: Pending } | null> {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
    const raw = await deps.store.get(key(tenantId, token));
    if (!raw || raw === 'used') return null;
    return { raw, value: JSON.parse(raw) as Pending };
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
      await deps.store.set(key(tenant.id, token), JSON.stringify({ userId: user.id, email: user.email } satisfies Pending), verificationLinkSeconds);
      const link = new URL(`/t/${tenant.slug}/verify-email?token=${token}`, deps.publicUrl).href;
      // the user's own language (the one they last signed in or up in), else the tenant's default
      const locale = await deps.localeOf(tenant.id, user.id);
      await deps.courier.verificationLink({ tenant, to: user.email, link, ttlMinutes: verificationLinkSeconds / 60, ...(isLocale(locale) ? { locale } : {}) });
      return { email: user.email };
    },

    /** the address a link would verify, or null when the link is unknown, used or expired */
    async peek(tenantId: string, token: string): Promise<{ email: string } | null> {
      const found = await pending(tenantId, token);
      return found ? { email: found.value.email } : null;
    },

    /**
     * Spends the link and verifies the address, if it is still the user's.
     * @returns the verified address, or null when the link is unknown, used, expired or the address changed since
     */
    async confirm(tenant: { id: string; slug: string }, token: string): Promise<{ userId: string; email: string } | null> {
      const tenantId = tenant.id;
      const found = await pending(tenantId, token);
      // the atomic swap decides between two presses of the same link: one verifies, the other finds it used
      if (!found || !(await deps.store.compareAndSet(key(tenantId, token), found.raw, 'used', 3600))) return null;
      const user = await deps.findUser(tenantId, found.value.userId);
      if (!user || user.email !== found.value.email) return null;
      if (!user.emailVerified) await deps.markVerified(tenant, user.id);
      return { userId: user.id, email: user.email };
    },
  };
}

export type EmailVerification = ReturnType<typeof createEmailVerification>;
