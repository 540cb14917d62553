// The tenant's JSON sign-in APIs (issue #16 §3). Stored under `headless`. The REST auth API under the issuer
// (`{issuer}/v1/…`) is off until the tenant turns it on; browsers may call it only from the origins listed here.
import { z } from 'zod';

/** an origin as a browser sends it: scheme, host and port, no path */
const origin = z.string().max(200).refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}, 'use an origin such as https://app.example.com (no path, no trailing slash)');

export const headlessSettingsSchema = z.object({
  restApi: z.boolean().default(false),
  /** origins allowed to call the REST API from a browser (CORS); none by default */
  allowedOrigins: z.array(origin).max(50).default([]),
}).strict().prefault({});

export type HeadlessSettings = z.infer<typeof headlessSettingsSchema>;
