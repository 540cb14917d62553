// The indexes behind issue #15's table growth: a tenant's users listed oldest first (the Management API's and the
// console's default page, keyset-paginated on (created_at, id)) are read from an index in order, with no sort of the
// tenant's users; the clean-up finds expired trusted devices by an index; searching users by part of an email, phone
// or name reads a trigram index (pg_trgm) instead of scanning the tenant. For the listing the planner is told to
// avoid whole-table scans and sorts so the plan shows which index it would use on a large table; the search is
// planned on 20,000 real rows with nothing forced.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { createTenant } from '../support/fixtures.js';
import { useTessera } from '../support/use-tessera.js';

async function plan(databaseUrl: string, sql: string, params: unknown[], forced = true): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // a test table is tiny: scanning it whole and sorting would win, so the planner is told to avoid both
    if (forced) await client.query('SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off');
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    await client.end();
  }
}

describe('indexes for listing users and cleaning up', () => {
  const server = useTessera();

  it('lists a tenant\'s users in (created_at, id) order from an index, first page and next pages', async () => {
    const tenant = await createTenant(server);
    const { rows } = await (async () => {
      const client = new pg.Client({ connectionString: server.env.DATABASE_URL! });
      await client.connect();
      try {
        return await client.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [tenant.slug]);
      } finally {
        await client.end();
      }
    })();
    const tenantId = rows[0]!.id;
    const first = await plan(server.env.DATABASE_URL!, 'SELECT id FROM users WHERE tenant_id = $1::uuid ORDER BY created_at, id LIMIT 50', [tenantId]);
    assert.match(first, /Index (Only )?Scan using users_tenant_id_created_at_id_idx/, first);
    assert.doesNotMatch(first, /\bSort\b/, first);
    const next = await plan(server.env.DATABASE_URL!,
      `SELECT id FROM users WHERE tenant_id = $1::uuid AND (created_at, id) > ($2::timestamp, $3::uuid) ORDER BY created_at, id LIMIT 50`,
      [tenantId, '2026-01-01T00:00:00', '00000000-0000-0000-0000-000000000000']);
    assert.match(next, /Index (Only )?Scan using users_tenant_id_created_at_id_idx/, next);
    assert.doesNotMatch(next, /\bSort\b/, next);
  });

  it('finds expired trusted devices by an index', async () => {
    const cleanup = await plan(server.env.DATABASE_URL!, 'DELETE FROM trusted_devices WHERE expires_at <= $1::timestamp', ['2026-01-01T00:00:00']);
    assert.match(cleanup, /Index (Only )?Scan using trusted_devices_expires_at_idx/, cleanup);
  });

  it('searches users by part of an email, phone or name through trigram indexes, not a scan of the tenant', async () => {
    const client = new pg.Client({ connectionString: server.env.DATABASE_URL! });
    await client.connect();
    try {
      const tenant = await createTenant(server);
      const { rows } = await client.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [tenant.slug]);
      const tenantId = rows[0]!.id;
      await client.query(`INSERT INTO users (id, tenant_id, email, phone, profile, updated_at)
        SELECT gen_random_uuid(), $1::uuid, 'user' || g || '@example.com', '+1555' || lpad(g::text, 7, '0'),
               jsonb_build_object('name', 'Person ' || g), now()
        FROM generate_series(1, 20000) g`, [tenantId]);
      await client.query('ANALYZE users');
      const search = (condition: string) => plan(server.env.DATABASE_URL!,
        `SELECT id FROM users WHERE tenant_id = $1::uuid AND ${condition} ORDER BY created_at, id LIMIT 50`, [tenantId], false);
      for (const [condition, index] of [
        [`email ILIKE '%ada.lovelace%'`, 'users_email_trgm_idx'],
        [`phone LIKE '%4499871%'`, 'users_phone_trgm_idx'],
        [`profile->>'name' ILIKE '%lovelace%'`, 'users_name_trgm_idx'],
      ] as const) {
        const shown = await search(condition);
        assert.match(shown, new RegExp(`Bitmap Index Scan on ${index}`), shown);
      }
    } finally {
      await client.end();
    }
  });
});
