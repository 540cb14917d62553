// `?limit=&cursor=` on every list, answered as `{items, next_cursor}`. A cursor is opaque to callers: it
// names the last item of the previous page by its sort key, so a page stays right when items come and go.
import { z } from 'zod';
import { AppError } from '../errors/app-error.js';

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
}).strict();
export type PageQuery = z.infer<typeof pageQuery>;

export interface Page<T> { items: T[]; next_cursor: string | null }

export function encodeCursor(key: string): string {
  return Buffer.from(JSON.stringify({ after: key })).toString('base64url');
}

/** @throws AppError('request.invalid') for a cursor this API did not hand out */
export function decodeCursor(cursor: string): string {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof decoded.after === 'string') return decoded.after;
  } catch {
    // falls through to the refusal
  }
  throw new AppError('request.invalid', 'cursor: not a cursor this API handed out.');
}

/** a page of an in-memory list (roles, APIs, tenants, keys: small sets), ordered by a unique string key */
export function pageOf<T>(items: readonly T[], keyOf: (item: T) => string, page: PageQuery): Page<T> {
  const after = page.cursor === undefined ? null : decodeCursor(page.cursor);
  const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const rest = after === null ? sorted : sorted.filter((item) => keyOf(item) > after);
  const slice = rest.slice(0, page.limit);
  return { items: slice, next_cursor: rest.length > page.limit ? encodeCursor(keyOf(slice.at(-1)!)) : null };
}
