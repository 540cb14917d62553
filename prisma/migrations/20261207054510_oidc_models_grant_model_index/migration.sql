-- DropIndex
DROP INDEX "oidc_models_tenant_id_grant_id_idx";

-- CreateIndex
CREATE INDEX "oidc_models_tenant_id_grant_id_model_idx" ON "oidc_models"("tenant_id", "grant_id", "model");
