-- CreateEnum
CREATE TYPE "task_status" AS ENUM ('todo', 'doing', 'done');

-- CreateTable
CREATE TABLE "tasks" (
    "id" SERIAL PRIMARY KEY,
    "project_id" INTEGER NOT NULL REFERENCES "projects"("id") ON DELETE CASCADE,
    "title" TEXT NOT NULL,
    "status" "task_status" NOT NULL DEFAULT 'todo',
    "due_at" TIMESTAMPTZ
);
