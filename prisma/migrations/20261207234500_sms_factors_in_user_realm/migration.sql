-- A text-message second factor belongs to the user realm (the tenant), shared by its environments, like every other
-- second factor (src/db/user-realm.ts). Environments kept it under their own tenant id: those rows move to their
-- tenant. One factor per user: where the tenant, or a newer row of another environment, already holds one, the
-- older row goes. (Their sealed numbers still open: src/auth-methods/mfa/realm-secrets.ts.)
DELETE FROM mfa_factors m USING tenants t
 WHERE m.tenant_id = t.id AND t.parent_id IS NOT NULL AND m.type = 'sms'
   AND EXISTS (
     SELECT 1 FROM mfa_factors o JOIN tenants ot ON ot.id = o.tenant_id
      WHERE o.user_id = m.user_id AND o.type = 'sms' AND o.id <> m.id
        AND (o.tenant_id = t.parent_id OR (ot.parent_id = t.parent_id AND (o.created_at, o.id) > (m.created_at, m.id))));

UPDATE mfa_factors m SET tenant_id = t.parent_id
  FROM tenants t
 WHERE m.tenant_id = t.id AND t.parent_id IS NOT NULL AND m.type = 'sms';
