-- The tables the corpus migrations change, as Prisma creates them. The
-- test loads this into two databases: one with the tables empty, one
-- with "User" past the big-table threshold (1,000,000 rows) and "Team"
-- past the warning threshold (10,000 rows).
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
CREATE TABLE "Team" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    CONSTRAINT "Team_pkey" PRIMARY KEY ("id")
);
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "email" TEXT,
    "name" TEXT NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'USER',
    "teamId" INTEGER,
    "bio" VARCHAR(20),
    "score" INTEGER,
    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);
-- A table with an invalid index (a CONCURRENTLY build that failed).
CREATE TABLE "Legacy" ("id" INTEGER NOT NULL, "code" TEXT);
CREATE INDEX "Legacy_code_idx" ON "Legacy"("code");
