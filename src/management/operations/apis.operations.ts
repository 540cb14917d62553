// APIs of a tenant (resource servers, by audience URI) and the permissions they define.
import { AppError } from '../../errors/app-error.js';
import { rbacSchemas, type ApiRecord } from '../../rbac/rbac.service.js';
import { managementAudience } from '../../tenants/system-tenant.js';
import { systemSlug } from '../../tenants/issuer.js';
import { defineOperation } from '../operation.js';
import { pageOf, pageQuery } from '../../validation/pagination.js';

const idParam = (params: Readonly<Record<string, string>>) => params.id!;

export const apiOperations = [
  defineOperation({
    id: 'listApis', method: 'get', path: '/tenants/{slug}/apis', scope: 'roles:read', tag: 'apis',
    summary: 'Lists the APIs of a tenant with their permissions',
    query: pageQuery,
    async handle({ services, tenant, query }) {
      return pageOf(await services.rbac.listApis(tenant), (a: ApiRecord) => a.identifier, query);
    },
  }),
  defineOperation({
    id: 'createApi', method: 'post', path: '/tenants/{slug}/apis', scope: 'roles:write', tag: 'apis', status: 201,
    summary: 'Registers an API (its identifier is the audience of its access tokens, RFC 8707)',
    errors: ['api.identifier_taken'],
    body: rbacSchemas.createApi,
    async handle({ services, tenant, body, audit }) {
      const api = await services.rbac.createApi(tenant, body);
      await audit({ type: 'admin.api_created', subject: `api:${api.id}`, data: { identifier: api.identifier, permissions: api.permissions.map((p) => p.name) } });
      return api;
    },
  }),
  defineOperation({
    id: 'getApi', method: 'get', path: '/tenants/{slug}/apis/{id}', scope: 'roles:read', tag: 'apis',
    summary: 'An API with its permissions',
    errors: ['api.not_found'],
    handle: ({ services, tenant, params }) => services.rbac.getApi(tenant, idParam(params)),
  }),
  defineOperation({
    id: 'updateApi', method: 'patch', path: '/tenants/{slug}/apis/{id}', scope: 'roles:write', tag: 'apis',
    summary: 'Renames an API or replaces its permissions (a removed permission leaves every role)',
    errors: ['api.not_found'],
    body: rbacSchemas.updateApi,
    async handle({ services, tenant, params, body, audit }) {
      const api = await services.rbac.updateApi(tenant, idParam(params), body);
      await audit({ type: 'admin.api_updated', subject: `api:${api.id}`, data: { changed: Object.keys(body as object).sort(), permissions: api.permissions.map((p) => p.name) } });
      return api;
    },
  }),
  defineOperation({
    id: 'deleteApi', method: 'delete', path: '/tenants/{slug}/apis/{id}', scope: 'roles:write', tag: 'apis', status: 204,
    summary: 'Deletes an API and its permissions (not the Management API itself)',
    errors: ['api.not_found'],
    async handle({ services, tenant, params, audit }) {
      const api = await services.rbac.getApi(tenant, idParam(params));
      if (tenant.slug === systemSlug && api.identifier === managementAudience(services.config.publicUrl)) {
        throw new AppError('auth.forbidden', 'The Management API cannot be deleted: operators would lose their access.');
      }
      await services.rbac.deleteApi(tenant, api.id);
      await audit({ type: 'admin.api_deleted', subject: `api:${api.id}`, data: { identifier: api.identifier } });
      return null;
    },
  }),
];
