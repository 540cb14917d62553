// Initial access tokens of dynamic client registration (RFC 7591 §3, issue #17): an operator mints one and hands it
// to whoever may register a client. The token is shown once; Tessera keeps only its SHA-256 (durable-adapter.ts).
import { z } from 'zod';
import { AppError, assertThat } from '../../errors/app-error.js';
import { defineOperation } from '../operation.js';
import { singleUsePolicy, tenantPolicy } from '../../oidc/protocol-names.js';

export const registrationOperations = [
  defineOperation({
    id: 'createInitialAccessToken', method: 'post', path: '/tenants/{slug}/initial-access-tokens', scope: 'clients:write', tag: 'clients', status: 201,
    summary: 'Mints an initial access token for dynamic client registration (POST <issuer>/reg); the token is shown here only. singleUse (default true): the first registration spends it',
    errors: ['registration.disabled', 'request.invalid'],
    body: z.object({
      ttlSeconds: z.number().int().min(60).max(90 * 86_400).default(86_400),
      singleUse: z.boolean().default(true),
    }).strict(),
    async handle({ services, tenant, body, audit }) {
      const resolved = await services.providers.get(tenant.slug);
      if (!resolved) throw new AppError('tenant.not_found');
      const { registration } = resolved.tenant.settings;
      if (!registration.enabled) throw new AppError('registration.disabled');
      assertThat(body.ttlSeconds <= registration.maxInitialAccessTokenTtl, 'request.invalid',
        `ttlSeconds may be at most ${registration.maxInitialAccessTokenTtl} (registration.maxInitialAccessTokenTtl of the tenant).`);
      const token = new resolved.provider.InitialAccessToken({
        expiresIn: body.ttlSeconds, policies: body.singleUse ? [tenantPolicy, singleUsePolicy] : [tenantPolicy],
      });
      const value = await token.save();
      const expiresAt = new Date(Date.now() + body.ttlSeconds * 1000).toISOString();
      await audit({ type: 'admin.initial_access_token_created', data: { expiresAt, singleUse: body.singleUse } });
      return { initial_access_token: value, expires_at: expiresAt, single_use: body.singleUse, registration_endpoint: `${resolved.tenant.issuer}/reg` };
    },
  }),
];
