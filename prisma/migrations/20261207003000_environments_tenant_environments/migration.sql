-- AlterTable
ALTER TABLE "tenants" ADD COLUMN     "environment" TEXT NOT NULL DEFAULT 'live',
ADD COLUMN     "parent_id" UUID;

-- CreateIndex
CREATE UNIQUE INDEX "tenants_parent_id_environment_key" ON "tenants"("parent_id", "environment");

-- AddForeignKey
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "last_environment" TEXT;
