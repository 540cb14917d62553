// Builds what a test needs through the CLI, as an operator would: tenants, users, clients.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TesseraProcess } from './tessera-process.js';

export const redirectUri = 'http://127.0.0.1:9/callback';
export const postLogoutRedirectUri = 'http://127.0.0.1:9/signed-out';

export function uniqueSlug(prefix = 't'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export async function cliJson<T = Record<string, unknown>>(server: TesseraProcess, argv: string[]): Promise<T> {
  const result = await server.cli(argv);
  assert.equal(result.code, 0, `tessera ${argv.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.json as T;
}

export async function createTenant(server: TesseraProcess, slug = uniqueSlug()) {
  return cliJson<{ slug: string; issuer: string }>(server, ['tenant', 'create', slug, '--name', `Tenant ${slug}`]);
}

export async function createUser(server: TesseraProcess, tenant: string, overrides: { email?: string; password?: string; name?: string } = {}) {
  const email = overrides.email ?? `user-${randomBytes(4).toString('hex')}@example.com`;
  const password = overrides.password ?? `Pw-${randomBytes(12).toString('base64url')}`;
  const user = await cliJson<{ id: string; email: string }>(server, ['user', 'create', '--tenant', tenant, '--email', email, '--password', password, '--name', overrides.name ?? 'Test User', '--verified']);
  return { ...user, password };
}

export async function createClient(server: TesseraProcess, tenant: string, extra: string[] = []) {
  return cliJson<{ client_id: string; client_secret: string | null }>(server, [
    'client', 'create', '--tenant', tenant, '--name', 'Test App',
    '--redirect-uri', redirectUri, '--post-logout-redirect-uri', postLogoutRedirectUri, ...extra,
  ]);
}
