-- DropTable
DROP TABLE "Team";
