-- tessera/rls: helpers for PostgreSQL row-level security policies over Tessera access tokens (issue #18 §3).
-- Apply once to your application database: `npx tessera rls install --database-url postgres://...`, or psql -f.
-- Idempotent: re-running replaces the functions.
--
-- withAuth() (tessera/rls) verifies the access token, opens a transaction and stores the verified claims with
--   select set_config('tessera.auth', jsonb_build_object('txid', txid_current()::text, 'claims', $1::jsonb)::text, true)
-- Every helper below reads that setting and returns NULL unless its txid is the current transaction's: claims
-- set by mistake at session level (is_local false), or left on a pooled connection by anything else, are never
-- seen by the next transaction, because that transaction has another txid.
--
-- In policies, wrap helpers in a sub-select so PostgreSQL evaluates them once per statement, not once per row:
--   create policy own_rows on notes using (owner_id = (select auth.uid()));
--   create policy readable on reports using ((select auth.has_permission('read:reports')));

create schema if not exists auth;

-- the verified claims of the current transaction, or NULL
create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select case
    when s.value is null or s.value = '' then null
    when (s.value::jsonb ->> 'txid') = txid_current()::text then s.value::jsonb -> 'claims'
    else null
  end
  from (select current_setting('tessera.auth', true) as value) s
$$;

-- the token's subject (a user id, or a client id for machine tokens), or NULL
create or replace function auth.uid() returns text
language sql stable
as $$ select auth.jwt() ->> 'sub' $$;

-- 'authenticated' when verified claims are set for this transaction, NULL otherwise
create or replace function auth.role() returns text
language sql stable
as $$ select case when auth.jwt() is not null then 'authenticated' end $$;

-- whether the token lists the role `name` in its `roles` claim; NULL without claims
create or replace function auth.has_role(name text) returns boolean
language sql stable
as $$
  select case when auth.jwt() is null then null
    else coalesce(jsonb_typeof(auth.jwt() -> 'roles') = 'array' and (auth.jwt() -> 'roles') ? name, false) end
$$;

-- whether the token lists the permission `name` in its `permissions` claim; NULL without claims
create or replace function auth.has_permission(name text) returns boolean
language sql stable
as $$
  select case when auth.jwt() is null then null
    else coalesce(jsonb_typeof(auth.jwt() -> 'permissions') = 'array' and (auth.jwt() -> 'permissions') ? name, false) end
$$;

-- authenticator assurance level: 'aal2' when the sign-in used a second factor (RFC 8176 amr 'mfa', or two
-- methods), 'aal1' otherwise; NULL without claims
create or replace function auth.aal() returns text
language sql stable
as $$
  select case
    when auth.jwt() is null then null
    when jsonb_typeof(auth.jwt() -> 'amr') = 'array'
      and ((auth.jwt() -> 'amr') ? 'mfa' or jsonb_array_length(auth.jwt() -> 'amr') >= 2) then 'aal2'
    else 'aal1'
  end
$$;

grant usage on schema auth to public;
grant execute on all functions in schema auth to public;
