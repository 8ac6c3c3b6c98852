/* test_pkgedit.c - scripts added to package.json text, the rest kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/pkgedit.h"
#include "tap.h"

static const struct dbh_pkgedit_script three[] = {
    {"vercel-build", "vercel-build"},
    {"migrate:setup", "dbhook setup"},
    {"migrate:run", "dbhook run"},
};

/* Adds the first `n` of `three` to `in`; checks the result is `want`. */
static void edits(const char *name, const char *in, size_t n, const char *want)
{
	struct dbh_error err;
	char *out = NULL;
	size_t len = 99;
	int rc =
	    dbh_pkgedit_add_scripts(in, strlen(in), three, n, &out, &len, &err);

	ok(rc == 0, "%s: accepted", name);
	if (rc)
		printf("#   error: %s\n", err.message);
	is_str(out, want, name);
	ok(out && len == strlen(out), "%s: length", name);
	free(out);
}

static void refuses(const char *name, const char *in, const char *message)
{
	struct dbh_error err;
	char *out = (char *)"x";
	size_t len = 99;
	int rc =
	    dbh_pkgedit_add_scripts(in, strlen(in), three, 3, &out, &len, &err);

	ok(rc == DBH_EUSAGE && out == NULL && len == 0, "%s: refused", name);
	is_str(rc ? err.message : NULL, message, name);
}

int main(void)
{
	edits(
	    "2 spaces, scripts: added first, lines only",
	    "{\n  \"name\": \"shop\",\n  \"scripts\": {\n    \"dev\": \"next "
	    "dev\",\n    \"build\": \"next build\"\n  },\n  \"private\": "
	    "true\n}\n",
	    3,
	    "{\n  \"name\": \"shop\",\n  \"scripts\": {\n"
	    "    \"vercel-build\": \"vercel-build\",\n"
	    "    \"migrate:setup\": \"dbhook setup\",\n"
	    "    \"migrate:run\": \"dbhook run\",\n"
	    "    \"dev\": \"next dev\",\n    \"build\": \"next build\"\n  },\n"
	    "  \"private\": true\n}\n");
	edits("4 spaces, no final newline",
	      "{\n    \"scripts\": {\n        \"build\": \"next build\"\n    "
	      "}\n}",
	      1,
	      "{\n    \"scripts\": {\n        \"vercel-build\": "
	      "\"vercel-build\",\n        \"build\": \"next build\"\n    }\n}");
	edits(
	    "tabs and CRLF",
	    "{\r\n\t\"scripts\": {\r\n\t\t\"build\": \"next build\"\r\n\t}\r\n}"
	    "\r\n",
	    2,
	    "{\r\n\t\"scripts\": {\r\n\t\t\"vercel-build\": "
	    "\"vercel-build\",\r\n\t\t\"migrate:setup\": \"dbhook "
	    "setup\",\r\n\t\t\"build\": \"next build\"\r\n\t}\r\n}\r\n");
	edits("no scripts: a block before dependencies",
	      "{\n  \"name\": \"a\",\n  \"dependencies\": {\n    \"next\": "
	      "\"15\"\n  }\n}\n",
	      2,
	      "{\n  \"name\": \"a\",\n  \"scripts\": {\n    \"vercel-build\": "
	      "\"vercel-build\",\n    \"migrate:setup\": \"dbhook setup\"\n  "
	      "},\n  \"dependencies\": {\n    \"next\": \"15\"\n  }\n}\n");
	edits("no scripts, no dependencies: at the end",
	      "{\n   \"name\": \"a\"\n}", 1,
	      "{\n   \"name\": \"a\",\n   \"scripts\": {\n      "
	      "\"vercel-build\": \"vercel-build\"\n   }\n}");
	edits("empty scripts object", "{\n  \"scripts\": {},\n  \"x\": 1\n}\n",
	      2,
	      "{\n  \"scripts\": {\n    \"vercel-build\": \"vercel-build\",\n "
	      "   \"migrate:setup\": \"dbhook setup\"\n  },\n  \"x\": 1\n}\n");
	edits("empty scripts object over two lines",
	      "{\n  \"scripts\": {\n  }\n}\n", 1,
	      "{\n  \"scripts\": {\n    \"vercel-build\": \"vercel-build\"\n  "
	      "}\n}\n");
	edits("scripts on one line",
	      "{\n  \"scripts\": {\"build\": \"next build\"}\n}\n", 1,
	      "{\n  \"scripts\": {\"vercel-build\": \"vercel-build\", "
	      "\"build\": \"next build\"}\n}\n");
	edits("minified, no scripts", "{\"name\":\"a\",\"dependencies\":{}}", 2,
	      "{\"name\":\"a\",\"scripts\": {\"vercel-build\": "
	      "\"vercel-build\", \"migrate:setup\": \"dbhook setup\"}, "
	      "\"dependencies\":{}}");
	edits("empty object", "{}", 1,
	      "{\n  \"scripts\": {\n    \"vercel-build\": \"vercel-build\"\n  "
	      "}\n}");
	edits("strings with braces, quotes and escapes are skipped",
	      "{\n  \"d\": \"} \\\" {\",\n  \"a\": [{\"scripts\": 1}, \"]\"],\n"
	      "  \"scripts\": {\n    \"x\": \"echo \\\"}\\\"\"\n  }\n}\n",
	      1,
	      "{\n  \"d\": \"} \\\" {\",\n  \"a\": [{\"scripts\": 1}, \"]\"],\n"
	      "  \"scripts\": {\n    \"vercel-build\": \"vercel-build\",\n    "
	      "\"x\": \"echo \\\"}\\\"\"\n  }\n}\n");
	edits("nothing to add: the same bytes", "{ \"a\" : 1 }\n", 0,
	      "{ \"a\" : 1 }\n");

	refuses("a script that exists",
		"{\"scripts\": {\"migrate:run\": \"x\"}}",
		"script \"migrate:run\" exists already");
	refuses("scripts twice", "{\"scripts\": {}, \"scripts\": {}}",
		"\"scripts\" appears twice");
	refuses("scripts not an object", "{\"scripts\": []}",
		"\"scripts\" is not an object");
	refuses("an array", "[1]", "not one JSON object");
	refuses("trailing text", "{} x", "not one JSON object");
	refuses("unterminated", "{\"a\": \"b}", "not one JSON object");
	refuses("empty", "", "not one JSON object");
	return tap_done();
}
