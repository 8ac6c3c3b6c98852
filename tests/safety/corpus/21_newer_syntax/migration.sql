ALTER TABLE "User" ADD COLUMN "flags" INTEGER;
UPDATE "Team" SET "name" = 'x' WHERE "id" = 0x1F;
