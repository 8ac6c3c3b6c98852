/* fuzz_migname.c - the migration folder name check (migdir.h).
 *
 * Input: one folder name (NUL bytes end it, as in a file system). The
 * class must follow the rule dbh_migdir_open documents (14 digits and an
 * underscore; at most DBH_NAME_MAX bytes), and the message for a long name
 * must be one line and valid UTF-8 whenever the name is: it cuts the name
 * short, and must not cut a character in half.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/error.h"
#include "dbhook/migdir.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dbh_error err;
	enum dbh_migname got, want;
	size_t len = size > FUZZ_MAX_INPUT ? FUZZ_MAX_INPUT : size;
	char *name = malloc(len + 1);
	int stamp = 1;

	if (!name)
		return 0;
	memcpy(name, data, len);
	name[len] = '\0';
	len = strlen(name);

	for (int i = 0; i < 14; i++)
		stamp &= i < (int)len && isdigit((unsigned char)name[i]);
	stamp &= len > 14 && name[14] == '_';
	want = len > DBH_NAME_MAX ? DBH_MIGNAME_TOO_LONG
	       : stamp		  ? DBH_MIGNAME_OK
				  : DBH_MIGNAME_ODD;

	dbh_error_clear(&err);
	got = dbh_migdir_check_name(name, &err);
	if (got != want)
		fuzz_fail("wrong class for the name", name);
	if (got == DBH_MIGNAME_TOO_LONG) {
		if (err.code != DBH_EUSAGE || !err.message[0])
			fuzz_fail("a long name without an error", name);
		if (fuzz_utf8_invalid_at((const unsigned char *)name, len) <
			0 &&
		    fuzz_utf8_invalid_at((const unsigned char *)err.message,
					 strlen(err.message)) >= 0)
			fuzz_fail("the message cut a character in half",
				  err.message);
	} else if (err.code != 0) {
		fuzz_fail("an error for a usable name", err.message);
	}
	free(name);
	return 0;
}
