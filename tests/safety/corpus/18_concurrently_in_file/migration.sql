CREATE INDEX CONCURRENTLY "User_name_idx" ON "User"("name");
CREATE INDEX CONCURRENTLY "User_bio_idx" ON "User"("bio");
