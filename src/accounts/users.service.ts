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
}

export function createUsersService(deps: { repository: UsersRepository; hasher: PasswordHasher }) {
  const { repository, hasher } = deps;
  return {
    /** @throws AppError('user.invalid_email' | 'user.email_taken' | 'password.*') */
    async create(tenantId: string, input: CreateUserInput): Promise<UserRecord> {
      const email = normaliseEmail(input.email);
      if (!email) throw new AppError('user.invalid_email');
      let passwordHash: string | null = null;
      if (input.password !== undefined) {
        const password = input.password.normalize('NFC');
        const policy = checkPasswordPolicy(password, { context: [email] });
        if (!policy.ok) throw new AppError(policy.code, policy.message);
        passwordHash = await hasher.hash(password);
      }
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
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
