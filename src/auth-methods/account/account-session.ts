// Who is signed in on the tenant's account pages: the tenant's own provider session (its cookie is scoped to
// /t/{slug}, so every account page receives it), and the CSRF binding of that session's forms.
import type { Context } from 'koa';
import type { UsersService } from '../../accounts/users.service.js';
import type { UserRecord } from '../../db/users.repository.js';

export interface AccountSession {
  user: UserRecord;
  /** what the CSRF tokens of this session's forms are bound to */
  binding: string;
}

/** the signed-in, enabled user of this browser, or null */
export async function accountSession(ctx: Context, users: UsersService): Promise<AccountSession | null> {
  const session = await ctx.state.provider!.Session.get(ctx as never);
  const user = session.accountId ? await users.findById(ctx.state.tenant!.id, session.accountId) : null;
  return user && !user.disabled ? { user, binding: `account:${session.uid}` } : null;
}
