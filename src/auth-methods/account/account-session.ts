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
    await deps.ix.render(ctx, 'account', { title: 'Your account', status: 401, data: { signedIn: false, signInUrl: `/t/${deps.ix.tenantOf(ctx).slug}/account/sign-in` } });
  }
  return session;
}

type AccountRender = (ctx: Context, view: 'account', options: { title: string; status: number; data: Record<string, unknown> }) => Promise<void>;
