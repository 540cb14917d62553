// Pages of in-memory lists (roles, APIs, tenants, keys): ordered by a unique key, an opaque cursor naming the
// last item seen, so a page stays right when items are added or removed between calls.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeCursor, encodeCursor, pageOf, pageQuery } from '../../src/validation/pagination.js';

const names = (page: { items: { name: string }[] }) => page.items.map((i) => i.name);
const items = ['d', 'b', 'a', 'e', 'c'].map((name) => ({ name }));

describe('Management API pagination', () => {
  it('walks a list in key order, each item once, and says when it ends', () => {
    const first = pageOf(items, (i) => i.name, { limit: 2 });
    assert.deepEqual(names(first), ['a', 'b']);
    const second = pageOf(items, (i) => i.name, { limit: 2, cursor: first.next_cursor! });
    assert.deepEqual(names(second), ['c', 'd']);
    const last = pageOf(items, (i) => i.name, { limit: 2, cursor: second.next_cursor! });
    assert.deepEqual(names(last), ['e']);
    assert.equal(last.next_cursor, null);
    assert.equal(pageOf(items, (i) => i.name, { limit: 5 }).next_cursor, null, 'an exact fit has no next page');
  });

  it('stays right when the last item seen is deleted or an earlier one is added', () => {
    const first = pageOf(items, (i) => i.name, { limit: 2 });
    const changed = [...items.filter((i) => i.name !== 'b'), { name: 'aa' }];
    assert.deepEqual(names(pageOf(changed, (i) => i.name, { limit: 2, cursor: first.next_cursor! })), ['c', 'd']);
  });

  it('refuses a cursor it did not hand out', () => {
    for (const cursor of ['garbage', '', Buffer.from('{"after":1}').toString('base64url'), Buffer.from('[]').toString('base64url')]) {
      assert.throws(() => decodeCursor(cursor), { code: 'request.invalid' }, cursor);
    }
    assert.equal(decodeCursor(encodeCursor('role:ä')), 'role:ä');
  });

  it('takes limit 1–100 (default 20) and nothing else in the query', () => {
    assert.deepEqual(pageQuery.parse({}), { limit: 20 });
    assert.deepEqual(pageQuery.parse({ limit: '100', cursor: 'x' }), { limit: 100, cursor: 'x' });
    for (const query of [{ limit: '0' }, { limit: '101' }, { limit: '1.5' }, { limit: 'ten' }, { sort: 'name' }]) {
      assert.equal(pageQuery.safeParse(query).success, false, JSON.stringify(query));
    }
  });
});
