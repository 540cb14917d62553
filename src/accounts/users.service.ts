// Users of a tenant: creation and password sign-in. Sign-in costs one bcrypt comparison whether or not the
// email exists (the hasher compares against a dummy hash), so timing does not reveal accounts.
import type { UsersRepository, UserRecord } from '../db/users.repository.js';
import { AppError } from '../errors/app-error.js';
import type { PasswordHasher } from './password-hasher.js';
import { checkPasswordPolicy } from './password-policy.js';

const emailPattern = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

/** @returns the normalised email (trimmed, lower-case) or null when it is not an address */
export function normaliseEmail(input: string): string | null {
  const email = input.trim().toLowerCase();
  // no address holds control characters (and PostgreSQL text cannot hold NUL)
  return email.length <= 254 && emailPattern.test(email) && !/[\u0000-\u001f\u007f]/.test(email) ? email : null;
}

export interface CreateUserInput {
  email: string;
  password?: string;
  name?: string;
  emailVerified?: boolean;
  /** the tenant's password policy (signIn.passwordMinLength) */
  passwordMinLength?: number;
}

/** a checked, hashed new password @throws AppError('password.*') */
async function newPasswordHash(hasher: PasswordHasher, input: string, context: (string | null)[], minLength?: number): Promise<string> {
  const password = input.normalize('NFC');
  const policy = checkPasswordPolicy(password, { context: context.filter((c): c is string => !!c), ...(minLength ? { minLength } : {}) });
  if (!policy.ok) throw new AppError(policy.code, policy.message);
  return hasher.hash(password);
}

export function createUsersService(deps: { repository: UsersRepository; hasher: PasswordHasher }) {
  const { repository, hasher } = deps;
  return {
    /** @throws AppError('password.*') — for a sign-up kept pending until its email is verified */
    hashNewPassword: (password: string, context: (string | null)[], minLength?: number) => newPasswordHash(hasher, password, context, minLength),
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
      const passwordHash = input.password !== undefined ? await newPasswordHash(hasher, input.password, [email], input.passwordMinLength) : null;
      const name = input.name?.trim();
      if (name && name.length > 200) throw new AppError('request.invalid', 'A name is at most 200 characters.');
      return repository.create(tenantId, { email, emailVerified: input.emailVerified ?? false, phone: null, phoneVerified: false, passwordHash, profile: name ? { name } : {} });
    },
    /** @returns the user when the password matches an enabled account, else null (same work either way) */
    async authenticate(tenantId: string, emailInput: string, passwordInput: string): Promise<UserRecord | null> {
      const email = normaliseEmail(emailInput);
      const user = email ? await repository.findByEmail(tenantId, email) : null;
      const check = await hasher.verify(passwordInput.normalize('NFC'), user?.passwordHash);
      if (!user || !check.ok || user.disabled) return null;
      const rehash = check.needsRehash ? await hasher.hash(passwordInput.normalize('NFC')) : undefined;
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
