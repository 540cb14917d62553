// Who is signed in on the tenant's account pages: the tenant's own provider session (its cookie is scoped to
// /t/{slug}, so every account page receives it), and the CSRF binding of that session's forms.
import type { Context } from 'koa';
import type { UsersService } from '../../accounts/users.service.js';
import type { UserRecord } from '../../db/users.repository.js';

export interface AccountSession {
  user: UserRecord;
  /** what the CSRF tokens of this session's forms are bound to */
  binding: string;
  /** the provider session's uid (which of the user's sessions is this browser's) */
  sessionUid: string;
}

/** the signed-in, enabled user of this browser, or null */
export async function accountSession(ctx: Context, users: UsersService): Promise<AccountSession | null> {
  const session = await ctx.state.provider!.Session.get(ctx as never);
  const user = session.accountId ? await users.findById(ctx.state.tenant!.id, session.accountId) : null;
  return user && !user.disabled ? { user, binding: `account:${session.uid}`, sessionUid: session.uid } : null;
}

/** the signed-in user of an account page, or null after rendering the signed-out account page (401) */
export async function accountSessionOrSignIn(ctx: Context, deps: { users: UsersService; ix: { render: AccountRender; tenantOf(ctx: Context): { slug: string } } }): Promise<AccountSession | null> {
  const session = await accountSession(ctx, deps.users);
  if (!session) {
    await deps.ix.render(ctx, 'account', { title: 'account.title', status: 401, data: { signedIn: false, signInUrl: accountSignInUrl(deps.ix.tenantOf(ctx).slug, ctx.path) } });
  }
  return session;
}

type AccountRender = (ctx: Context, view: 'account', options: { title: string; status: number; data: Record<string, unknown> }) => Promise<void>;

// The account pages a sign-in may come back to: a fixed list, so the destination can never leave them.
const destinations = ['', '/security', '/sessions', '/passkeys'] as const;

/** the account page `path` names (/t/{slug}/account/…), or '' (the account page) when it names none of them */
export function accountDestination(slug: string, path: unknown): string {
  const prefix = `/t/${slug}/account`;
  if (typeof path !== 'string' || !path.startsWith(prefix)) return '';
  const rest = path.slice(prefix.length).replace(/\/+$/, '');
  return (destinations as readonly string[]).includes(rest) ? rest : '';
}

/** the sign-in interstitial's URL, carrying the account page to return to */
export function accountSignInUrl(slug: string, path: string): string {
  const next = accountDestination(slug, path);
  return `/t/${slug}/account/sign-in${next ? `?next=${encodeURIComponent(next)}` : ''}`;
}
