/* jsonfile.c - a project's JSON config file read for the hand-off, with
 * a warning that points at the line and column of a syntax error (see
 * jsonfile.h). */
#include "dbhook/jsonfile.h"
#include "dbhook/alloc.h"
#include "dbhook/fileio.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JSON_MAX (8u << 20) /* larger "JSON" files are not config files */

/* Reads `path` into a NUL-terminated buffer. Returns 0 (free *out), 1 when
 * it does not exist, -1 after a warning naming the file. */
static int slurp(const char *path, char **out, const struct dbh_reporter *rep)
{
	size_t len;

	return dbh_text_read(path, JSON_MAX, out, &len, rep);
}

/* Line and column (1-based; the column counts UTF-8 characters) of byte
 * `off` in `text`. */
static void line_col(const char *text, size_t off, int *line, int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

cJSON *dbh_json_read(const char *dir, const char *name, const char *skipped,
		     const struct dbh_reporter *rep, int *absent)
{
	const char *end = NULL;
	char *path = dbh_path_join(dir, name), *text;
	cJSON *j;
	int r;

	*absent = 0;
	r = slurp(path, &text, rep);
	if (r != 0) {
		*absent = r == 1;
		free(path);
		return NULL;
	}
	/* NULL is invalid JSON: the programs route cJSON's allocations
	 * through alloc.h (dbh_alloc_hook_libraries), so running out of
	 * memory ends the program inside cJSON instead. */
	j = cJSON_ParseWithOpts(text, &end, 1);
	if (!j) {
		size_t off = end && end >= text ? (size_t)(end - text) : 0;
		char near[40];
		size_t n = 0;
		int line, col;

		if (off > strlen(text))
			off = strlen(text);
		/* cJSON points one past a token it could not start (a '}'
		 * after a trailing comma); at a line end, step back onto it. */
		if (off > 0 && (text[off] == '\n' || text[off] == '\r') &&
		    !strchr(" \t\r\n", text[off - 1]))
			off--;
		line_col(text, off, &line, &col);
		while (text[off + n] && text[off + n] != '\n' &&
		       text[off + n] != '\r' && n < 16)
			n++;
		/* Do not cut a UTF-8 character in two. */
		while (n > 0 && text[off + n] &&
		       ((unsigned char)text[off + n] & 0xc0) == 0x80)
			n--;
		if (n)
			snprintf(near, sizeof(near), "near \"%.*s\"", (int)n,
				 text + off);
		else
			snprintf(near, sizeof(near), "at the %s",
				 text[off] ? "end of the line" : "end of file");
		dbh_report(rep, DBH_WARN,
			   "%s:%d:%d: invalid JSON %s; ignoring %s (%s)", path,
			   line, col, near, name, skipped);
		free(text);
		free(path);
		return NULL;
	}
	free(text);
	if (!cJSON_IsObject(j)) {
		dbh_report(rep, DBH_WARN,
			   "\"%s\" is JSON but not an object; ignoring it (%s)",
			   path, skipped);
		cJSON_Delete(j);
		j = NULL;
	}
	free(path);
	return j;
}
