-- CreateTable
CREATE TABLE "users" (
    "id" SERIAL PRIMARY KEY,
    "email" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateTable
CREATE TABLE "projects" (
    "id" SERIAL PRIMARY KEY,
    "owner_id" INTEGER NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Seed rows so the later backfill has something to do.
INSERT INTO "users" ("email") VALUES
    ('ada@example.com'), ('grace@example.com'), ('linus@example.com');
INSERT INTO "projects" ("owner_id", "name")
SELECT "id", 'Inbox' FROM "users";
