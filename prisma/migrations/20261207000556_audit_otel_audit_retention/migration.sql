-- AlterTable
ALTER TABLE "audit_heads" ADD COLUMN     "anchor_hash" TEXT,
ADD COLUMN     "anchor_seq" BIGINT NOT NULL DEFAULT 0;

-- Retention (src/audit/audit-retention.ts): an entry may now also be deleted when it is at or behind its tenant's
-- anchor, which the pruning transaction records (after exporting the entries) before it deletes. Every other
-- UPDATE or DELETE is still refused.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM tenants WHERE id = OLD.tenant_id) THEN
    RETURN OLD;
  END IF;
  IF TG_OP = 'DELETE' AND OLD.seq IS NOT NULL AND OLD.seq <= (SELECT anchor_seq FROM audit_heads WHERE tenant_id = OLD.tenant_id) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
