// Users of a tenant: create, search, read, change, disable / enable, delete with all their data.
import { z } from 'zod';
import { userSearchSchema, userUpdateSchema } from '../../accounts/user-admin.service.js';
import { defineOperation } from '../operation.js';

const idParam = (params: Readonly<Record<string, string>>) => params.id!;

export const userOperations = [
  defineOperation({
    id: 'searchUsers', method: 'get', path: '/tenants/{slug}/users', scope: 'users:read', tag: 'users',
    summary: 'Finds users by email, phone, name or any of them (q), newest first, a page at a time',
    query: userSearchSchema.strict(),
    handle: ({ services, tenant, query }) => services.userAdmin.search(tenant, query),
  }),
  defineOperation({
    id: 'createUser', method: 'post', path: '/tenants/{slug}/users', scope: 'users:write', tag: 'users', status: 201,
    summary: 'Creates a user with an email and, optionally, a password (checked against the tenant\'s policy)',
    errors: ['user.invalid_email', 'user.email_taken', 'password.too_short', 'password.too_common'],
    body: z.object({
      email: z.string().max(254),
      password: z.string().max(1000).optional(),
      name: z.string().max(200).optional(),
      email_verified: z.boolean().default(false),
    }).strict(),
    async handle({ services, tenant, body, audit }) {
      const user = await services.users.create(tenant.id, {
        email: body.email, password: body.password, name: body.name, emailVerified: body.email_verified,
        rules: tenant.settings.signIn,
      });
      await audit({ type: 'admin.user_created', subject: user.id, data: { sign_in: body.password !== undefined ? 'password' : 'passwordless' } });
      return services.userAdmin.get(tenant, user.id);
    },
  }),
  defineOperation({
    id: 'getUser', method: 'get', path: '/tenants/{slug}/users/{id}', scope: 'users:read', tag: 'users',
    summary: 'A user: profile, metadata, verification and status',
    errors: ['user.not_found'],
    handle: ({ services, tenant, params }) => services.userAdmin.get(tenant, idParam(params)),
  }),
  defineOperation({
    id: 'updateUser', method: 'patch', path: '/tenants/{slug}/users/{id}', scope: 'users:write', tag: 'users',
    summary: 'Changes profile claims and metadata (each a JSON merge patch) and verification flags',
    errors: ['user.not_found'],
    body: userUpdateSchema,
    async handle({ services, tenant, params, body, audit }) {
      const user = await services.userAdmin.update(tenant, idParam(params), body);
      await audit({ type: 'admin.user_updated', subject: user.id, data: { changed: Object.keys(body as object).sort() } });
      return user;
    },
  }),
  defineOperation({
    id: 'disableUser', method: 'post', path: '/tenants/{slug}/users/{id}/disable', scope: 'users:write', tag: 'users',
    summary: 'Disables a user: no sign-in, and every session and token ends now',
    errors: ['user.not_found'],
    async handle({ services, tenant, params, audit }) {
      const user = await services.userAdmin.setDisabled(tenant, idParam(params), true);
      await audit({ type: 'admin.user_disabled', subject: user.id });
      return user;
    },
  }),
  defineOperation({
    id: 'enableUser', method: 'post', path: '/tenants/{slug}/users/{id}/enable', scope: 'users:write', tag: 'users',
    summary: 'Lets a disabled user sign in again',
    errors: ['user.not_found'],
    async handle({ services, tenant, params, audit }) {
      const user = await services.userAdmin.setDisabled(tenant, idParam(params), false);
      await audit({ type: 'admin.user_enabled', subject: user.id });
      return user;
    },
  }),
  defineOperation({
    id: 'deleteUser', method: 'delete', path: '/tenants/{slug}/users/{id}', scope: 'users:write', tag: 'users', status: 204,
    summary: 'Deletes a user with every identity, factor, role, session and token (audit entries stay)',
    errors: ['user.not_found'],
    async handle({ services, tenant, params, audit }) {
      await services.userAdmin.delete(tenant, idParam(params));
      await audit({ type: 'admin.user_deleted', subject: idParam(params) });
      return null;
    },
  }),
];
