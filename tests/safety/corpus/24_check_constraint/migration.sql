ALTER TABLE "Team" ADD CONSTRAINT "Team_name_check" CHECK (length("name") > 0);
