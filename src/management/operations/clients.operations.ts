// OAuth clients of a tenant. A secret is shown twice only: in the answer to creation and to rotation.
import { z } from 'zod';
import type { Services } from '../../services.js';
import { clientUpdateSchema, type ClientView } from '../../clients/client-admin.js';
import { authMethods, grantTypes } from '../../clients/clients.service.js';
import { protocolMetadataKeys, protocolMetadataSchema } from '../../clients/protocol-metadata.js';
import { defineOperation } from '../operation.js';
import { pageOf, pageQuery } from '../../validation/pagination.js';
import { roleNamesBody } from './roles.operations.js';

type Params = Readonly<Record<string, string>>;
const idParam = (params: Params) => params.id!;
const uri = z.string().max(2000);

// RFC 7591 names, as the client's metadata and the update use
const createBody = z.object({
  client_name: z.string().max(100),
  redirect_uris: z.array(uri).max(50).optional(),
  post_logout_redirect_uris: z.array(uri).max(50).optional(),
  grant_types: z.array(z.enum(grantTypes)).max(4).optional(),
  token_endpoint_auth_method: z.enum(authMethods).optional(),
  /** a public client (browser or native app): no secret */
  public: z.boolean().optional(),
  /** OpenID and API scopes, space-delimited */
  scope: z.string().max(2000).optional(),
  first_party: z.boolean().optional(),
  refresh_token_reuse_interval: z.number().int().min(0).max(300).optional(),
  jwks_uri: uri.optional(),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).max(20) }).optional(),
  backchannel_logout_uri: uri.optional(),
  operator_tenants: z.array(z.string().max(40)).max(100).optional(),
}).extend(protocolMetadataSchema.shape).strict();

/** @throws AppError('client.not_found') */
const clientIn = (services: Services, tenantId: string, clientId: string): Promise<ClientView> => services.clientAdmin.get(tenantId, clientId);

export const clientOperations = [
  defineOperation({
    id: 'listClients', method: 'get', path: '/tenants/{slug}/clients', scope: 'clients:read', tag: 'clients',
    summary: 'Lists the clients of a tenant (without secrets)',
    query: pageQuery,
    handle: async ({ services, tenant, query }) => pageOf(await services.clientAdmin.list(tenant.id), (c) => c.client_id, query),
  }),
  defineOperation({
    id: 'createClient', method: 'post', path: '/tenants/{slug}/clients', scope: 'clients:write', tag: 'clients', status: 201,
    summary: 'Registers a client; the answer holds its secret, which is never shown again',
    errors: ['client.invalid_metadata'],
    body: createBody,
    async handle({ services, tenant, body, audit }) {
      const created = await services.clients.create(tenant.id, {
        name: body.client_name, redirectUris: body.redirect_uris, postLogoutRedirectUris: body.post_logout_redirect_uris,
        grants: body.grant_types, authMethod: body.token_endpoint_auth_method, public: body.public, scope: body.scope,
        firstParty: body.first_party, refreshTokenReuseInterval: body.refresh_token_reuse_interval, jwksUri: body.jwks_uri,
        jwks: body.jwks, backchannelLogoutUri: body.backchannel_logout_uri, operatorTenants: body.operator_tenants,
        protocol: Object.fromEntries(protocolMetadataKeys.filter((key) => key in body).map((key) => [key, (body as Record<string, unknown>)[key]])),
      }, await services.clientValidator(tenant.slug));
      await audit({ type: 'admin.client_created', subject: created.client_id, clientId: created.client_id, data: { grant_types: created.grant_types } });
      return { ...(await clientIn(services, tenant.id, created.client_id)), client_secret: created.client_secret };
    },
  }),
  defineOperation({
    id: 'getClient', method: 'get', path: '/tenants/{slug}/clients/{id}', scope: 'clients:read', tag: 'clients',
    summary: 'A client\'s metadata (without its secret)',
    errors: ['client.not_found'],
    handle: ({ services, tenant, params }) => clientIn(services, tenant.id, idParam(params)),
  }),
  defineOperation({
    id: 'updateClient', method: 'patch', path: '/tenants/{slug}/clients/{id}', scope: 'clients:write', tag: 'clients',
    summary: 'Changes a client\'s metadata (null removes a field); the tenant\'s provider checks the result',
    errors: ['client.not_found', 'client.invalid_metadata'],
    body: clientUpdateSchema,
    async handle({ services, tenant, params, body, audit }) {
      const client = await services.clientAdmin.update(tenant.id, idParam(params), body, await services.clientValidator(tenant.slug));
      await audit({ type: 'admin.client_updated', subject: client.client_id, clientId: client.client_id, data: { changed: Object.keys(body as object).sort() } });
      return client;
    },
  }),
  defineOperation({
    id: 'rotateClientSecret', method: 'post', path: '/tenants/{slug}/clients/{id}/secret', scope: 'clients:write', tag: 'clients',
    summary: 'Gives a confidential client a new secret, shown this once; the old one stops working now',
    errors: ['client.not_found', 'client.invalid_metadata'],
    async handle({ services, tenant, params, audit }) {
      const rotated = await services.clientAdmin.rotateSecret(tenant.id, idParam(params));
      await audit({ type: 'admin.client_secret_rotated', subject: rotated.client_id, clientId: rotated.client_id });
      return rotated;
    },
  }),
  defineOperation({
    id: 'deleteClient', method: 'delete', path: '/tenants/{slug}/clients/{id}', scope: 'clients:write', tag: 'clients', status: 204,
    summary: 'Deletes a client; its tokens stop working',
    errors: ['client.not_found'],
    async handle({ services, tenant, params, audit }) {
      await services.clientAdmin.delete(tenant.id, idParam(params));
      await audit({ type: 'admin.client_deleted', subject: idParam(params), clientId: idParam(params) });
      return null;
    },
  }),
  defineOperation({
    id: 'listClientRoles', method: 'get', path: '/tenants/{slug}/clients/{id}/roles', scope: 'clients:read', tag: 'clients',
    summary: 'The roles a machine client holds (in its client_credentials tokens)',
    errors: ['client.not_found'],
    async handle({ services, tenant, params }) {
      await clientIn(services, tenant.id, idParam(params));
      return { roles: await services.rbac.rolesOfClient(tenant, idParam(params)) };
    },
  }),
  defineOperation({
    id: 'assignClientRoles', method: 'post', path: '/tenants/{slug}/clients/{id}/roles', scope: 'clients:write', tag: 'clients',
    summary: 'Gives a client roles',
    errors: ['client.not_found', 'role.not_found'],
    body: roleNamesBody,
    async handle({ services, tenant, params, body, audit }) {
      await clientIn(services, tenant.id, idParam(params));
      const roles = await services.rbac.assignClientRoles(tenant, idParam(params), body.roles);
      await audit({ type: 'admin.client_role_assigned', subject: idParam(params), clientId: idParam(params), data: { roles: body.roles } });
      return { roles };
    },
  }),
  defineOperation({
    id: 'unassignClientRole', method: 'delete', path: '/tenants/{slug}/clients/{id}/roles/{role}', scope: 'clients:write', tag: 'clients',
    summary: 'Takes a role from a client',
    errors: ['client.not_found'],
    async handle({ services, tenant, params, audit }) {
      await clientIn(services, tenant.id, idParam(params));
      const roles = await services.rbac.unassignClientRoles(tenant, idParam(params), [params.role!]);
      await audit({ type: 'admin.client_role_unassigned', subject: idParam(params), clientId: idParam(params), data: { roles: [params.role!] } });
      return { roles };
    },
  }),
];
