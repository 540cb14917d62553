// Users of a tenant: creation and password sign-in. Sign-in costs one password check whether or not the email
// exists (the hasher verifies against a dummy hash at the tenant's cost), so timing does not reveal accounts.
import type { UsersRepository, UserRecord } from '../db/users.repository.js';
import { AppError } from '../errors/app-error.js';
import type { Argon2Cost, PasswordHasher } from './password-hasher.js';
import { checkPasswordPolicy } from './password-policy.js';
import { normaliseEmail } from '../validation/email-address.js';


export interface CreateUserInput {
  email: string;
  password?: string;
  name?: string;
  emailVerified?: boolean;
  /** the tenant's password rules (its signIn settings) */
  rules?: PasswordRules;
}

/** A tenant's password rules: its `signIn` settings fit as they are. */
export interface PasswordRules {
  /** the shortest new password accepted */
  passwordMinLength?: number;
  /** the argon2id cost of new hashes; absent: the installation's */
  passwordHashing?: Argon2Cost;
}

/** a checked, hashed new password @throws AppError('password.*') */
async function newPasswordHash(hasher: PasswordHasher, input: string, context: (string | null)[], rules: PasswordRules = {}): Promise<string> {
  const password = input.normalize('NFC');
  const minLength = rules.passwordMinLength;
  const policy = checkPasswordPolicy(password, { context: context.filter((c): c is string => !!c), ...(minLength ? { minLength } : {}) });
  if (!policy.ok) throw new AppError(policy.code, policy.message);
  return hasher.hash(password, rules.passwordHashing);
}

/** @param realm the user realm of a tenant or environment (db/user-realm.ts); a tenant is its own without it */
export function createUsersService(deps: { repository: UsersRepository; hasher: PasswordHasher; realm?: (tenantId: string) => Promise<string> }) {
  const { repository, hasher } = deps;
  return {
    /** the tenant whose users `tenantId` signs in: the parent of an environment, else itself (what account limits key on) */
    realmOf: (tenantId: string): Promise<string> => deps.realm?.(tenantId) ?? Promise.resolve(tenantId),
    /** @throws AppError('password.*') — for a sign-up kept pending until its email is verified */
    hashNewPassword: (password: string, context: (string | null)[], rules?: PasswordRules) => newPasswordHash(hasher, password, context, rules),
    /**
     * An account whose identifier was just proven by a code: email or phone verified. Used by sign-up and by a
     * passwordless first sign-in. @throws AppError('user.email_taken' | 'user.phone_taken')
     */
    async createVerified(tenantId: string, input: { email?: string; phone?: string; passwordHash?: string | null; name?: string }): Promise<UserRecord> {
      const name = input.name?.trim().slice(0, 200);
      return repository.create(tenantId, {
        email: input.email ?? null, emailVerified: !!input.email,
        phone: input.phone ?? null, phoneVerified: !!input.phone,
        passwordHash: input.passwordHash ?? null, profile: name ? { name } : {},
      });
    },
    /**
     * A first sign-in through an upstream (issue #4): the email as the upstream gave it, verified only if it said
     * so, and its name and picture. @throws AppError('user.email_taken')
     */
    async createFederated(tenantId: string, input: { email: string | null; emailVerified: boolean; name: string | null; picture: string | null }): Promise<UserRecord> {
      const profile = { ...(input.name ? { name: input.name.slice(0, 200) } : {}), ...(input.picture ? { picture: input.picture } : {}) };
      const user = await repository.create(tenantId, { email: input.email, emailVerified: !!input.email && input.emailVerified, phone: null, phoneVerified: false, passwordHash: null, profile });
      await repository.recordLogin(user.id);
      return user;
    },
    recordLogin: (userId: string) => repository.recordLogin(userId),
    /** the language the user last signed in or up in (issue #14), or null: emails sent on their behalf use it */
    localeOf: (tenantId: string, userId: string) => repository.localeOf(tenantId, userId),
    rememberLocale: (tenantId: string, userId: string, locale: string) => repository.rememberLocale(tenantId, userId, locale),
    findByEmail: (tenantId: string, email: string) => repository.findByEmail(tenantId, email),
    findByPhone: (tenantId: string, phone: string) => repository.findByPhone(tenantId, phone),
    /** records that the user proved the identifier (and signed in with it) */
    async markVerified(userId: string, identifier: 'email' | 'phone'): Promise<UserRecord> {
      const user = await repository.update(userId, identifier === 'email' ? { emailVerified: true } : { phoneVerified: true });
      await repository.recordLogin(userId);
      return user;
    },
    async setPasswordHash(userId: string, passwordHash: string): Promise<void> {
      await repository.update(userId, { passwordHash });
    },
    /** @throws AppError('user.invalid_email' | 'user.email_taken' | 'password.*') */
    async create(tenantId: string, input: CreateUserInput): Promise<UserRecord> {
      const email = normaliseEmail(input.email);
      if (!email) throw new AppError('user.invalid_email');
      const passwordHash = input.password !== undefined ? await newPasswordHash(hasher, input.password, [email], input.rules) : null;
      const name = input.name?.trim();
      if (name && name.length > 200) throw new AppError('request.invalid', 'A name is at most 200 characters.');
      return repository.create(tenantId, { email, emailVerified: input.emailVerified ?? false, phone: null, phoneVerified: false, passwordHash, profile: name ? { name } : {} });
    },
    /**
     * @returns the user when the password matches an enabled account, else null (same work either way). A match on
     * a hash that is not argon2id at the tenant's cost (bcrypt from before, an import, a changed cost) is re-hashed.
     */
    async authenticate(tenantId: string, emailInput: string, passwordInput: string, rules: PasswordRules = {}): Promise<UserRecord | null> {
      const email = normaliseEmail(emailInput);
      const user = email ? await repository.findByEmail(tenantId, email) : null;
      const check = await hasher.verify(passwordInput.normalize('NFC'), user?.passwordHash, rules.passwordHashing);
      if (!user || !check.ok || user.disabled) return null;
      const rehash = check.needsRehash ? await hasher.hash(passwordInput.normalize('NFC'), rules.passwordHashing) : undefined;
      await repository.recordLogin(user.id, rehash);
      return user;
    },
    findById: (tenantId: string, id: string) => repository.findById(tenantId, id),
    /** whether `password` is the user's password; records no sign-in */
    async passwordMatches(user: UserRecord, password: string): Promise<boolean> {
      return (await hasher.verify(password.normalize('NFC'), user.passwordHash)).ok;
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
