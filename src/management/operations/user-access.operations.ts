// What gives a user access: roles, linked identities, second factors, sessions.
import { defineOperation } from '../operation.js';
import { roleNamesBody } from './roles.operations.js';

type Params = Readonly<Record<string, string>>;
const idParam = (params: Params) => params.id!;

export const userAccessOperations = [
  defineOperation({
    id: 'listUserRoles', method: 'get', path: '/tenants/{slug}/users/{id}/roles', scope: 'users:read', tag: 'users',
    summary: 'The roles a user holds',
    errors: ['user.not_found'],
    async handle({ services, tenant, params }) {
      await services.userAdmin.find(tenant, idParam(params));
      return { roles: await services.rbac.rolesOfUser(tenant, idParam(params)) };
    },
  }),
  defineOperation({
    id: 'assignUserRoles', method: 'post', path: '/tenants/{slug}/users/{id}/roles', scope: 'users:write', tag: 'users',
    summary: 'Gives a user roles (shows in the next token issued)',
    errors: ['user.not_found', 'role.not_found'],
    body: roleNamesBody,
    async handle({ services, tenant, params, body, audit }) {
      await services.userAdmin.find(tenant, idParam(params));
      const roles = await services.rbac.assignUserRoles(tenant, idParam(params), body.roles);
      await audit({ type: 'admin.role_assigned', subject: idParam(params), data: { roles: body.roles } });
      return { roles };
    },
  }),
  defineOperation({
    id: 'unassignUserRole', method: 'delete', path: '/tenants/{slug}/users/{id}/roles/{role}', scope: 'users:write', tag: 'users',
    summary: 'Takes a role from a user',
    errors: ['user.not_found'],
    async handle({ services, tenant, params, audit }) {
      await services.userAdmin.find(tenant, idParam(params));
      const roles = await services.rbac.unassignUserRoles(tenant, idParam(params), [params.role!]);
      await audit({ type: 'admin.role_unassigned', subject: idParam(params), data: { roles: [params.role!] } });
      return { roles };
    },
  }),
  defineOperation({
    id: 'listUserIdentities', method: 'get', path: '/tenants/{slug}/users/{id}/identities', scope: 'users:read', tag: 'users',
    summary: 'The upstream accounts (Google, GitHub, OIDC …) linked to a user',
    errors: ['user.not_found'],
    handle: async ({ services, tenant, params }) => ({ items: await services.userAdmin.identities(tenant, idParam(params)) }),
  }),
  defineOperation({
    id: 'listUserFactors', method: 'get', path: '/tenants/{slug}/users/{id}/factors', scope: 'users:read', tag: 'users',
    summary: 'A user\'s second factors (TOTP, passkeys, an SMS factor, recovery codes left, trusted devices), never their secrets',
    errors: ['user.not_found'],
    handle: ({ services, tenant, params }) => services.userAdmin.factors(tenant, idParam(params)),
  }),
  defineOperation({
    id: 'resetUserMfa', method: 'post', path: '/tenants/{slug}/users/{id}/mfa/reset', scope: 'users:write', tag: 'users',
    summary: 'Removes every second factor of a user, who enrols again',
    errors: ['user.not_found'],
    async handle({ services, tenant, params, audit }) {
      const removed = await services.userAdmin.resetMfa(tenant, idParam(params));
      await audit({ type: 'admin.user_mfa_reset', subject: idParam(params), data: { removed } });
      return { removed };
    },
  }),
  defineOperation({
    id: 'listUserSessions', method: 'get', path: '/tenants/{slug}/users/{id}/sessions', scope: 'sessions:read', tag: 'sessions',
    summary: 'A user\'s live sessions: device, browser, IP, sign-in method, roles, created and last active',
    errors: ['user.not_found'],
    async handle({ services, tenant, params }) {
      await services.userAdmin.find(tenant, idParam(params));
      return { items: await services.sessions.list(tenant, idParam(params)) };
    },
  }),
  defineOperation({
    id: 'revokeUserSession', method: 'delete', path: '/tenants/{slug}/users/{id}/sessions/{session}', scope: 'sessions:write', tag: 'sessions',
    summary: 'Ends one session with its refresh tokens, and notifies clients registered for back-channel logout',
    errors: ['user.not_found', 'session.not_found'],
    async handle({ services, tenant, params, audit }) {
      await services.userAdmin.find(tenant, idParam(params));
      const result = await services.sessions.revoke(tenant, idParam(params), params.session!);
      await audit({ type: 'admin.session_revoked', subject: idParam(params), data: { session: params.session!, backchannel: result.backchannel } });
      return result;
    },
  }),
  defineOperation({
    id: 'revokeUserSessions', method: 'delete', path: '/tenants/{slug}/users/{id}/sessions', scope: 'sessions:write', tag: 'sessions',
    summary: 'Ends every session and refresh token of a user',
    errors: ['user.not_found'],
    async handle({ services, tenant, params, audit }) {
      await services.userAdmin.find(tenant, idParam(params));
      const result = await services.sessions.revokeAll(tenant, idParam(params));
      await audit({ type: 'admin.sessions_revoked', subject: idParam(params), data: result });
      return result;
    },
  }),
];
