// Managing a tenant's clients after creation (issue #6): read, change, rotate the secret, delete. Every change
// is re-validated by the tenant's own provider (what it accepts is what it will load) and announced, so
// every process drops its cached copy at once (client-cache.ts).
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ClientsRepository, ClientRecord } from '../db/clients.repository.js';
import type { Sealer } from '../crypto/sealing.js';
import type { ClientCache } from './client-cache.js';
import type { MetadataValidator } from './clients.service.js';
import { openidScopes } from '../validation/standard-claims.js';
import { protocolMetadataSchema } from './protocol-metadata.js';
import { AppError } from '../errors/app-error.js';
import { validate } from '../validation/validate.js';
import { appAllowedOrigins } from './app-origins.js';

export interface ClientView {
  client_id: string;
  client_name: string;
  /** whether a secret exists; the secret itself is shown only at creation and rotation */
  has_secret: boolean;
  first_party: boolean;
  updated_at: string;
  [metadata: string]: unknown;
}

const uri = z.string().max(2000);
export const clientUpdateSchema = z.object({
  client_name: z.string().trim().min(1).max(100).optional(),
  redirect_uris: z.array(uri).max(50).optional(),
  post_logout_redirect_uris: z.array(uri).max(50).optional(),
  /** OpenID and API scopes, space-delimited, as at creation */
  scope: z.string().max(2000).optional(),
  first_party: z.boolean().optional(),
  refresh_token_reuse_interval: z.number().int().min(0).max(300).optional(),
  backchannel_logout_uri: uri.nullable().optional(),
  backchannel_logout_session_required: z.boolean().optional(),
  operator_tenants: z.array(z.string()).max(100).nullable().optional(),
  /** a headless app's browser origins for the REST auth API (CORS); the tenant's provider checks each */
  allowed_origins: z.array(z.string().max(200)).max(50).nullable().optional(),
  // PAR, DPoP, JAR, JARM, pairwise, mTLS, response types (issue #17); null removes one
  ...Object.fromEntries(Object.entries(protocolMetadataSchema.shape).map(([key, schema]) => [key, schema.unwrap().nullable().optional()])),
}).strict();

const secretContext = (tenantId: string, clientId: string) => `client-secret:${tenantId}:${clientId}`;

function view(record: ClientRecord): ClientView {
  return {
    ...record.metadata,
    client_id: record.clientId,
    client_name: record.name,
    has_secret: record.sealedSecret !== null,
    first_party: record.firstParty,
    updated_at: record.updatedAt.toISOString(),
  };
}

export function createClientAdmin(deps: { repository: ClientsRepository; sealer: Sealer; cache: ClientCache }) {
  const { repository, sealer, cache } = deps;

  async function find(tenantId: string, clientId: string): Promise<ClientRecord> {
    const record = await repository.find(tenantId, clientId);
    if (!record) throw new AppError('client.not_found');
    return record;
  }

  return {
    async list(tenantId: string): Promise<ClientView[]> {
      return (await repository.list(tenantId)).map(view);
    },
    /** the browser origins the tenant's headless apps register (CORS preflights; cached, client-cache.ts) */
    appOrigins(tenantId: string): Promise<ReadonlySet<string>> {
      return cache.appOrigins(tenantId, async () => (await repository.list(tenantId))
        .filter((c) => c.metadata.headless === true).flatMap((c) => appAllowedOrigins(c.metadata)));
    },
    async get(tenantId: string, clientId: string): Promise<ClientView> {
      return view(await find(tenantId, clientId));
    },
    /** @throws AppError('client.not_found' | 'client.invalid_metadata' | 'request.invalid') */
    async update(tenantId: string, clientId: string, input: unknown, check: MetadataValidator): Promise<ClientView> {
      const record = await find(tenantId, clientId);
      const patch = validate(clientUpdateSchema, input);
      const metadata: Record<string, unknown> = { ...record.metadata };
      for (const [key, value] of Object.entries(patch)) {
        if (key === 'scope') continue;
        if (value === null) delete metadata[key];
        else if (value !== undefined) metadata[key] = value;
      }
      if (patch.scope !== undefined) {
        const scopes = [...new Set(patch.scope.split(' ').filter(Boolean))];
        delete metadata.scope;
        delete metadata.api_scope;
        if (scopes.some((s) => openidScopes.has(s))) metadata.scope = scopes.filter((s) => openidScopes.has(s)).join(' ');
        if (scopes.some((s) => !openidScopes.has(s))) metadata.api_scope = scopes.filter((s) => !openidScopes.has(s)).join(' ');
      }
      const secret = record.sealedSecret ? sealer.open(record.sealedSecret, secretContext(tenantId, clientId)) : null;
      try {
        await check({ ...metadata, client_id: clientId, ...(secret ? { client_secret: secret } : {}) });
      } catch (error) {
        throw new AppError('client.invalid_metadata', (error as { error_description?: string }).error_description ?? (error as Error).message);
      }
      const name = (metadata.client_name as string | undefined) ?? record.name;
      await repository.update(tenantId, clientId, { name, metadata, firstParty: metadata.first_party === true });
      await cache.changed(tenantId, clientId);
      return view(await find(tenantId, clientId));
    },
    /** a new secret, returned this once; the old one stops working at once */
    async rotateSecret(tenantId: string, clientId: string): Promise<{ client_id: string; client_secret: string }> {
      const record = await find(tenantId, clientId);
      if (!record.sealedSecret) throw new AppError('client.invalid_metadata', 'This client authenticates without a secret (public or private_key_jwt): there is nothing to rotate.');
      const secret = randomBytes(32).toString('base64url');
      await repository.update(tenantId, clientId, { sealedSecret: sealer.seal(secret, secretContext(tenantId, clientId)) });
      await cache.changed(tenantId, clientId);
      return { client_id: clientId, client_secret: secret };
    },
    /** the client's tokens stop working: oidc-provider no longer finds their client */
    async delete(tenantId: string, clientId: string): Promise<void> {
      if (!(await repository.delete(tenantId, clientId))) throw new AppError('client.not_found');
      await cache.changed(tenantId, clientId);
    },
  };
}

export type ClientAdmin = ReturnType<typeof createClientAdmin>;
