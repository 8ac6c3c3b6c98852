/* jsonfile.h - reading a project's JSON config file (package.json,
 * vercel.json, .vercel/project.json) for the hand-off.
 *
 * A file that cannot be used is never an error, only a warning through the
 * reporter that names the file, the line:column of a syntax error and what
 * is given up because of it; the caller goes on without the file.
 */
#ifndef DBHOOK_JSONFILE_H
#define DBHOOK_JSONFILE_H

#include "dbhook/log.h"

struct cJSON;

/* Parses <dir>/<name> (`dir` NULL or "." for the current folder) as a
 * JSON object. Returns the object (free it with cJSON_Delete), or NULL:
 * file absent (*absent = 1), or a warning was reported that names the
 * file, the line:column and `skipped` (what is not used because of it):
 * unreadable, not a regular file under 8 MiB, invalid JSON, or not an
 * object. */
struct cJSON *dbh_json_read(const char *dir, const char *name,
			    const char *skipped, const struct dbh_reporter *rep,
			    int *absent);

#endif
