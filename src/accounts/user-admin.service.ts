// What an operator does to a tenant's users (issue #6): search, read, change profile and metadata, disable,
// delete with all their data, see linked identities and factors, reset MFA. Disabling or deleting ends every
// session and token of the user at once.
import { z } from 'zod';
import type { UserAdminRepository, AdminUserRecord, UserSearch } from '../db/user-admin.repository.js';
import type { IdentitiesRepository } from '../db/identities.repository.js';
import type { MfaRepository } from '../db/mfa.repository.js';
import type { PasskeysRepository } from '../db/passkeys.repository.js';
import type { Sessions, TenantRef } from '../sessions/sessions.service.js';
import { AppError } from '../errors/app-error.js';
import { profileClaimNames } from '../validation/standard-claims.js';
import { mergePatch } from '../validation/merge-patch.js';
import { validate } from '../validation/validate.js';
import { storableInstant } from '../validation/input-rules.js';

export interface UserView {
  id: string;
  email: string | null;
  email_verified: boolean;
  phone_number: string | null;
  phone_number_verified: boolean;
  has_password: boolean;
  profile: Record<string, unknown>;
  metadata: Record<string, unknown>;
  disabled: boolean;
  created_at: string;
  updated_at: string;
  last_login_at: string | null;
}

export interface Page<T> { items: T[]; next_cursor: string | null }

const maxMetadataBytes = 16 * 1024;
export const userSearchSchema = z.object({
  email: z.string().max(254).optional(),
  phone: z.string().max(32).optional(),
  name: z.string().max(200).optional(),
  q: z.string().max(254).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});
const jsonObject = z.record(z.string(), z.unknown());
export const userUpdateSchema = z.object({
  /** a JSON merge patch over the profile: standard claims only (OIDC Core 5.1) */
  profile: jsonObject.optional(),
  /** a JSON merge patch over the operator's own metadata */
  metadata: jsonObject.optional(),
  email_verified: z.boolean().optional(),
  phone_number_verified: z.boolean().optional(),
}).strict();

export function toUserView(user: AdminUserRecord): UserView {
  return {
    id: user.id, email: user.email, email_verified: user.emailVerified, phone_number: user.phone, phone_number_verified: user.phoneVerified,
    has_password: user.hasPassword, profile: user.profile, metadata: user.metadata, disabled: user.disabled,
    created_at: user.createdAt.toISOString(), updated_at: user.updatedAt.toISOString(), last_login_at: user.lastLoginAt?.toISOString() ?? null,
  };
}

const encodeCursor = (user: AdminUserRecord) => Buffer.from(`${user.createdAt.toISOString()}|${user.id}`).toString('base64url');
function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const createdAt = new Date(at ?? '');
  if (!id || !/^[0-9a-f-]{36}$/i.test(id) || !storableInstant(createdAt)) throw new AppError('request.invalid', 'cursor: not a cursor this API returned');
  return { createdAt, id };
}

export interface UserAdminDeps {
  repository: UserAdminRepository;
  identities: IdentitiesRepository;
  mfa: MfaRepository;
  passkeys: PasskeysRepository;
  sessions: Sessions;
}

export function createUserAdmin(deps: UserAdminDeps) {
  const { repository } = deps;

  async function find(tenant: TenantRef, id: string): Promise<AdminUserRecord> {
    const user = await repository.find(tenant.id, id);
    if (!user) throw new AppError('user.not_found');
    return user;
  }

  return {
    find,
    async get(tenant: TenantRef, id: string): Promise<UserView> {
      return toUserView(await find(tenant, id));
    },
    /** the email (else phone, else name) of each of these users of the tenant; unknown ids are left out */
    labels: (tenant: TenantRef, ids: readonly string[]) => repository.labels(tenant.id, ids),
    /** @param query email / phone / name / q (any of them), limit, cursor */
    async search(tenant: TenantRef, query: unknown): Promise<Page<UserView>> {
      const { limit, cursor, ...filter } = validate(userSearchSchema, query);
      const rows = await repository.search(tenant.id, filter as UserSearch, { limit: limit + 1, ...(cursor ? { after: decodeCursor(cursor) } : {}) });
      const items = rows.slice(0, limit);
      return { items: items.map(toUserView), next_cursor: rows.length > limit ? encodeCursor(items[items.length - 1]!) : null };
    },
    /** @throws AppError('user.not_found' | 'request.invalid') */
    async update(tenant: TenantRef, id: string, input: unknown): Promise<UserView> {
      const user = await find(tenant, id);
      const patch = validate(userUpdateSchema, input);
      const data: Parameters<UserAdminRepository['update']>[2] = {};
      if (patch.profile) {
        const unknown = Object.keys(patch.profile).filter((name) => !profileClaimNames.has(name));
        if (unknown.length) throw new AppError('request.invalid', `profile: not standard profile claims: ${unknown.join(', ')} (use metadata for your own data)`);
        data.profile = mergePatch(user.profile, patch.profile) as object;
      }
      if (patch.metadata) {
        const metadata = mergePatch(user.metadata, patch.metadata) as object;
        if (Buffer.byteLength(JSON.stringify(metadata)) > maxMetadataBytes) throw new AppError('request.invalid', `metadata: at most ${maxMetadataBytes / 1024} KiB`);
        if (JSON.stringify(metadata).includes('\\u0000')) throw new AppError('request.invalid', 'metadata: must not contain NUL characters');
        data.metadata = metadata;
      }
      if (patch.email_verified !== undefined) {
        if (!user.email) throw new AppError('request.invalid', 'email_verified: the user has no email');
        data.emailVerified = patch.email_verified;
      }
      if (patch.phone_number_verified !== undefined) {
        if (!user.phone) throw new AppError('request.invalid', 'phone_number_verified: the user has no phone number');
        data.phoneVerified = patch.phone_number_verified;
      }
      await repository.update(tenant.id, id, data);
      return toUserView(await find(tenant, id));
    },
    /** disabling ends the user's sessions and tokens; a disabled user cannot sign in (find-account.ts) */
    async setDisabled(tenant: TenantRef, id: string, disabled: boolean): Promise<UserView> {
      await find(tenant, id);
      await repository.update(tenant.id, id, { disabled });
      if (disabled) await deps.sessions.revokeAll(tenant, id);
      return toUserView(await find(tenant, id));
    },
    /** the user and everything of theirs; audit entries stay (they name the user by id only) */
    async delete(tenant: TenantRef, id: string): Promise<void> {
      await find(tenant, id);
      await deps.sessions.revokeAll(tenant, id);
      if (!(await repository.delete(tenant.id, id))) throw new AppError('user.not_found');
    },
    async identities(tenant: TenantRef, id: string) {
      await find(tenant, id);
      return (await deps.identities.listForUser(tenant.id, id)).map((i) => ({
        connection: i.connection, subject: i.subject, email: i.email, email_verified: i.emailVerified,
        created_at: i.createdAt.toISOString(), last_used_at: i.lastUsedAt.toISOString(),
      }));
    },
    /** second factors, never their secrets */
    async factors(tenant: TenantRef, id: string) {
      await find(tenant, id);
      const [totp, passkeys, recoveryCodesLeft, trusted, sms] = await Promise.all([
        deps.mfa.totpFactors(tenant.id, id), deps.passkeys.listForUser(tenant.id, id),
        deps.mfa.recoveryCodesLeft(tenant.id, id), deps.mfa.trustedDevices(tenant.id, id), deps.mfa.smsFactor(tenant.id, id),
      ]);
      return {
        totp: totp.filter((f) => f.confirmed).map((f) => ({ id: f.id, name: f.name, created_at: f.createdAt.toISOString(), last_used_at: f.lastUsedAt?.toISOString() ?? null })),
        passkeys: passkeys.map((p) => ({ id: p.id, name: p.name, created_at: p.createdAt.toISOString(), last_used_at: p.lastUsedAt?.toISOString() ?? null })),
        // the number itself stays sealed: that a text-message factor exists, and since when
        sms: sms ? { id: sms.id, created_at: sms.createdAt.toISOString() } : null,
        recovery_codes_left: recoveryCodesLeft,
        trusted_devices: trusted.map((d) => ({ id: d.id, device: d.device, created_at: d.createdAt.toISOString(), expires_at: d.expiresAt.toISOString() })),
      };
    },
    /** removes every second factor; the user enrols again (the tenant's MFA policy decides when) */
    async resetMfa(tenant: TenantRef, id: string) {
      await find(tenant, id);
      return repository.resetMfa(tenant.id, id);
    },
  };
}

export type UserAdmin = ReturnType<typeof createUserAdmin>;
