-- AlterTable
ALTER TABLE "User" ALTER COLUMN "score" SET NOT NULL;
