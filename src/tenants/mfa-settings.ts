// A tenant's second-factor policy (issue #5), stored under `mfa` in its settings: whether a second factor is off,
// offered, or required (with a grace period for users not enrolled yet), which factors count, how long "remember
// this browser" lasts, and the WebAuthn relying party its passkeys are bound to.
import { z } from 'zod';

export const mfaFactorTypes = ['totp', 'passkey', 'sms', 'email'] as const;
export type MfaFactorType = (typeof mfaFactorTypes)[number];

export const mfaSettingsSchema = z.object({
  /** off: never asked; optional: asked of users who enrolled a factor; required: every user, after the grace period */
  policy: z.enum(['off', 'optional', 'required']).default('optional'),
  /** the factors users may enrol and use */
  factors: z.object({
    totp: z.boolean().default(true),
    passkey: z.boolean().default(true),
    sms: z.boolean().default(true),
    email: z.boolean().default(true),
  }).strict().prefault({}),
  /** days a user not yet enrolled may still sign in without a factor once the policy is required */
  graceDays: z.number().int().min(0).max(365).default(7),
  /** when the policy became required (set by the update that makes it so): the grace period counts from here */
  requiredSince: z.iso.datetime().nullable().default(null),
  /** "remember this browser" for this many days; 0 turns the option off */
  trustedDeviceDays: z.number().int().min(0).max(365).default(30),
  webauthn: z.object({
    /** defaults to PUBLIC_URL's host name */
    rpId: z.string().regex(/^[a-z0-9.-]{1,253}$/).nullable().default(null),
    /** origins allowed in client data; defaults to PUBLIC_URL's origin */
    origins: z.array(z.url({ protocol: /^https?$/ })).max(10).default([]),
  }).strict().prefault({}),
}).strict();

export type MfaSettings = z.output<typeof mfaSettingsSchema>;
