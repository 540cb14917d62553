// Grants and resource-server discovery beyond the code flow (issue #17). Stored under `grants`; all off by default.
import { z } from 'zod';

export const grantSettingsSchema = z.object({
  /** RFC 9728: publish protected-resource metadata for the tenant's APIs (their identifiers and permission names) */
  resourceMetadata: z.boolean().default(false),
  /** RFC 8628: the device authorization grant, with the verification page at /t/<slug>/device */
  deviceFlow: z.boolean().default(false),
  /** RFC 8693 token exchange for clients registered for the grant; delegation (`act`) unless the client is named in `impersonators` */
  tokenExchange: z.object({
    enabled: z.boolean().default(false),
    impersonators: z.array(z.string().min(1).max(100)).max(100).default([]),
  }).strict().prefault({}),
}).strict().prefault({});

export type GrantSettings = z.infer<typeof grantSettingsSchema>;
