-- DropIndex
DROP INDEX "oidc_models_tenant_id_account_id_idx";

-- DropIndex
DROP INDEX "oidc_models_tenant_id_grant_id_model_idx";

-- DropIndex
DROP INDEX "oidc_models_tenant_id_model_uid_idx";

-- CreateIndex
CREATE INDEX "oidc_models_tenant_id_grant_id_model_idx" ON "oidc_models"("tenant_id", "grant_id", "model") WHERE (grant_id IS NOT NULL);

-- CreateIndex
CREATE INDEX "oidc_models_tenant_id_account_id_idx" ON "oidc_models"("tenant_id", "account_id") WHERE (account_id IS NOT NULL);

-- CreateIndex
CREATE INDEX "oidc_models_tenant_id_model_uid_idx" ON "oidc_models"("tenant_id", "model", "uid") WHERE (uid IS NOT NULL);
