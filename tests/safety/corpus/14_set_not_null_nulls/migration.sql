-- AlterTable
ALTER TABLE "User" ALTER COLUMN "email" SET NOT NULL;
