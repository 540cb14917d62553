// Apps of the backend OTP API (issue #16): a first-party client with the headless capability. The answer is what a
// backend needs to call /auth/… and verify the tokens locally; the secret is shown here only.
import { z } from 'zod';
import type { Services } from '../../services.js';
import { currentRsaPem } from '../../tenants/app-public-key.js';
import { defineOperation } from '../operation.js';

const createBody = z.object({
  name: z.string().max(100),
  slug: z.string().max(40),
  refresh_token_reuse_interval: z.number().int().min(0).max(300).optional(),
  /** browser origins that may call the REST auth API naming this app (CORS), besides the tenant's headless.allowedOrigins */
  allowed_origins: z.array(z.string().max(200)).max(50).optional(),
}).strict();

export const appOperations = [
  defineOperation({
    id: 'createApp', method: 'post', path: '/tenants/{slug}/apps', scope: 'clients:write', tag: 'clients', status: 201,
    summary: 'Registers an app of the backend OTP API (/auth/…); the answer holds its secret, which is never shown again',
    errors: ['app.slug_taken', 'app.slug_reserved', 'request.invalid', 'client.invalid_metadata'],
    body: createBody,
    async handle({ services, tenant, body, audit }) {
      const created = await services.clients.create(tenant.id, {
        name: body.name, refreshTokenReuseInterval: body.refresh_token_reuse_interval, headless: { appSlug: body.slug, tenantSlug: tenant.slug, allowedOrigins: body.allowed_origins },
      }, await services.clientValidator(tenant.slug));
      await audit({ type: 'admin.client_created', subject: created.client_id, clientId: created.client_id, data: { grant_types: created.grant_types, headless: true } });
      const issuer = `${services.config.publicUrl.origin}/t/${tenant.slug}`;
      return {
        app_id: created.client_id, app_secret: created.client_secret, app_slug: body.slug,
        ...(body.allowed_origins?.length ? { allowed_origins: [...new Set(body.allowed_origins)] } : {}),
        jwt_public_key: await currentRsaPem(services.keys, tenant.id), jwks_uri: `${issuer}/jwks`,
      };
    },
  }),
];
