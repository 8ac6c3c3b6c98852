-- AlterEnum: a new value between 'doing' and 'done'.
ALTER TYPE "task_status" ADD VALUE 'blocked' BEFORE 'done';
