-- User search by part of an email, phone or name (`?email=`, `?phone=`, `?name=`, `?q=`): trigram indexes, so a
-- search in a tenant of 1M users reads the matching rows instead of scanning them all. pg_trgm ships with
-- PostgreSQL (contrib) and is a trusted extension since PostgreSQL 13, so the database owner may create it. Where it
-- is not installed (embedded PGlite, a server without contrib) the indexes are skipped and search scans, as before.
DO $$
BEGIN
  BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
  EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm is not available (%): user search will scan', SQLERRM;
    RETURN;
  END;
  EXECUTE 'CREATE INDEX IF NOT EXISTS "users_email_trgm_idx" ON "users" USING GIN ("email" gin_trgm_ops)';
  EXECUTE 'CREATE INDEX IF NOT EXISTS "users_phone_trgm_idx" ON "users" USING GIN ("phone" gin_trgm_ops)';
  EXECUTE 'CREATE INDEX IF NOT EXISTS "users_name_trgm_idx" ON "users" USING GIN ((profile->>''name'') gin_trgm_ops)';
END
$$;
