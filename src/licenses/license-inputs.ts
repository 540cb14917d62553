// What an operator sends to the licensing operations (issue #20), one set of zod schemas for every door: the
// Management API and CLI validate bodies with them, the console validates its forms with them, so the three accept
// and refuse the same things.
import { z } from 'zod';

const uuid = z.string().uuid();

export const policySchema = z.object({
  name: z.string().min(1).max(100).default('default'),
  max_devices: z.number().int().min(1).max(100_000),
  floating: z.boolean().default(false),
  /** floating only: a seat lapses this long after the device's last heartbeat */
  lease_seconds: z.number().int().min(60).max(30 * 86_400).optional(),
  /** omitted: perpetual */
  days: z.number().int().min(1).max(36_500).optional(),
  entitlements: z.array(z.string().min(1).max(100).regex(/^[\x21-\x7E]+$/)).max(100).default([]),
  heartbeat_seconds: z.number().int().min(0).max(365 * 86_400).default(0),
  offline_grace_seconds: z.number().int().min(0).max(365 * 86_400).default(7 * 86_400),
  churn_limit: z.number().int().min(1).max(10_000).default(10),
}).strict().refine((p) => !p.floating || p.lease_seconds !== undefined, { message: 'a floating policy needs lease_seconds', path: ['lease_seconds'] });
export type PolicyBody = z.infer<typeof policySchema>;

export const productSchema = z.object({ name: z.string().min(1).max(100), policy: policySchema }).strict();

export const issueSchema = z.object({
  product_id: z.string().max(64),
  /** default: the product's first policy */
  policy_id: z.string().max(64).optional(),
  user_id: z.string().max(64).nullable().optional(),
  count: z.number().int().min(1).max(1000).default(1),
}).strict();

export const extendSchema = z.object({
  days: z.number().int().min(1).max(36_500).optional(),
  expires_at: z.string().datetime({ offset: true }).optional(),
  perpetual: z.literal(true).optional(),
}).strict().refine((b) => [b.days, b.expires_at, b.perpetual].filter((v) => v !== undefined).length === 1, { message: 'give exactly one of days, expires_at or perpetual' });
export type ExtendBody = z.infer<typeof extendSchema>;

export const transferSchema = z.object({ user_id: z.string().max(64).nullable() }).strict();

export const licenseSearchSchema = z.object({
  product_id: uuid.optional(),
  user_id: uuid.optional(),
  status: z.enum(['active', 'revoked', 'expired']).optional(),
  /** the last group of a key, as a customer reads it out */
  key_hint: z.string().regex(/^[2-9A-Za-z]{5}$/).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
}).strict();
export type LicenseSearch = z.infer<typeof licenseSearchSchema>;
