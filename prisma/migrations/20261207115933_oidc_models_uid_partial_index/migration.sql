-- DropIndex
DROP INDEX "oidc_models_tenant_id_model_uid_idx";

-- CreateIndex
CREATE INDEX "oidc_models_tenant_id_model_uid_idx" ON "oidc_models"("tenant_id", "model", "uid") WHERE (uid IS NOT NULL);
