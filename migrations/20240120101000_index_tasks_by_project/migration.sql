-- Built without blocking writes to "tasks". CREATE INDEX CONCURRENTLY cannot
-- run inside a transaction, so it stands alone in its own migration.
CREATE INDEX CONCURRENTLY "tasks_project_id_status_idx" ON "tasks" ("project_id", "status");
