-- CreateIndex
CREATE UNIQUE INDEX "Team_name_key" ON "Team"("name");
