// Which ways in a tenant offers, and the rules for its one-time codes and links (issue #3). Stored under
// `signIn` in the tenant's settings; written only through validated updates (tenant-settings-update.ts).
import { z } from 'zod';
import { TENANT_ARGON2_BOUNDS as B } from '../config/argon2-cost.js';

const rule = (limit: number, windowSeconds: number) =>
  z.object({ limit: z.number().int().min(1).max(1_000_000), windowSeconds: z.number().int().min(1).max(86_400) }).prefault({ limit, windowSeconds });

export const signInSettingsSchema = z.object({
  methods: z.object({
    password: z.boolean().default(true),
    emailOtp: z.boolean().default(false),
    magicLink: z.boolean().default(false),
    smsOtp: z.boolean().default(false),
    whatsappOtp: z.boolean().default(false),
    /** "Sign in with a passkey" as a first factor (issue #5) */
    passkey: z.boolean().default(false),
  }).strict().prefault({}),
  /** new users may create an account (password sign-up with email verification, or a passwordless first sign-in) */
  signUp: z.boolean().default(false),
  /** an account whose email is not verified verifies it (code by email) at its next password sign-in */
  requireVerifiedEmail: z.boolean().default(false),
  /** a failed or impossible WhatsApp send falls back to SMS */
  whatsappSmsFallback: z.boolean().default(true),
  code: z.object({
    length: z.number().int().min(4).max(8).default(6),
    ttlSeconds: z.number().int().min(60).max(3600).default(600),
    maxAttempts: z.number().int().min(1).max(10).default(5),
    resendCooldownSeconds: z.number().int().min(0).max(3600).default(60),
  }).strict().prefault({}),
  magicLinkTtlSeconds: z.number().int().min(60).max(3600).default(600),
  /** the shortest new password accepted (NIST SP 800-63B: at least 8; common passwords are always refused) */
  passwordMinLength: z.number().int().min(8).max(64).default(8),
  /** argon2id cost of this tenant's new password hashes; absent: the installation's (ARGON2_MEMORY_KIB, ARGON2_TIME_COST).
   *  Never below OWASP's minimum, never so costly that one sign-in pins a worker for long. */
  passwordHashing: z.object({
    memoryKiB: z.number().int().min(B.minMemoryKiB).max(B.maxMemoryKiB),
    timeCost: z.number().int().min(B.minTimeCost).max(B.maxTimeCost),
  }).strict()
    .refine((c) => c.memoryKiB * c.timeCost >= B.minWork, `memoryKiB × timeCost must be at least ${B.minWork} (OWASP's minimum, e.g. 19456 × 2)`)
    .refine((c) => c.memoryKiB * c.timeCost <= B.maxWork, `memoryKiB × timeCost must be at most ${B.maxWork}`)
    .optional(),
  limits: z.object({
    perIdentifier: rule(5, 3600),
    perIp: rule(30, 3600),
    perTenant: rule(1000, 3600),
    /** SMS and WhatsApp messages per UTC day: a ceiling against SMS pumping */
    smsDailyCap: z.number().int().min(0).max(10_000_000).default(200),
  }).strict().prefault({}),
  /** a sandbox environment sends nothing: every message goes to its outbox (never live, never production: sandbox-behaviour.ts) */
  sandbox: z.boolean().default(false),
  /** a sandbox environment only: fixed codes for test recipients (normalised email or E.164), refused in live and production */
  testRecipients: z.record(z.string().min(3).max(254), z.string().regex(/^\d{4,8}$/)).default({}),
  /** a sandbox environment only (issue #19): the one code every email and SMS code of the environment is, e.g. 1234 */
  debugCode: z.string().regex(/^\d{4,8}$/).nullable().default(null),
}).strict();

export type SignInSettings = z.output<typeof signInSettingsSchema>;
