/* fuzz_vault.c - the vault file's text (vault.h): parse, release, and for
 * a file that parses, format it and parse the result again.
 *
 * Input: the file's bytes, exactly (no NUL added: the parser takes a
 * length). The round trip must parse and give the same profiles, and the
 * formatted text must itself be a fixed point of format(parse(.)): that
 * is what `setup` writes back after changing one profile.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/error.h"
#include "dbhook/vault.h"
#include "fuzz.h"

static int same_profiles(const struct dbh_vault *a, const struct dbh_vault *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct dbh_vault_profile *x = &a->p[i], *y = &b->p[i];

		if (strcmp(x->name, y->name) != 0 || x->kdf.N != y->kdf.N ||
		    x->kdf.r != y->kdf.r || x->kdf.p != y->kdf.p ||
		    memcmp(x->salt, y->salt, sizeof(x->salt)) != 0 ||
		    memcmp(x->nonce, y->nonce, sizeof(x->nonce)) != 0 ||
		    memcmp(x->tag, y->tag, sizeof(x->tag)) != 0 ||
		    x->ctlen != y->ctlen ||
		    (x->ctlen && memcmp(x->ct, y->ct, x->ctlen) != 0))
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dbh_vault v, w;
	struct dbh_error err;
	char *buf, *text;

	if (size > DBH_VAULT_FILE_MAX + 1)
		return 0;
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	memset(&v, 0, sizeof(v));
	dbh_error_clear(&err);
	if (dbh_vault_parse(buf, size, "fuzz", &v, &err) != 0) {
		if (err.code != DBH_EUSAGE || !err.message[0])
			fuzz_fail("a refused file without a usage error",
				  err.message);
		dbh_vault_release(&v);
		free(buf);
		return 0;
	}
	for (size_t i = 0; i < v.n; i++)
		if (!dbh_vault_valid_name(v.p[i].name))
			fuzz_fail("a parsed profile has an invalid name",
				  v.p[i].name);
	text = dbh_vault_format(&v);
	if (text) {
		char *again;

		memset(&w, 0, sizeof(w));
		if (dbh_vault_parse(text, strlen(text), "again", &w, &err))
			fuzz_fail("the formatted vault does not parse",
				  err.message);
		if (!same_profiles(&v, &w))
			fuzz_fail("the round trip changed a profile", "");
		again = dbh_vault_format(&w);
		if (again && strcmp(again, text) != 0)
			fuzz_fail("formatting is not a fixed point", again);
		free(again);
		dbh_vault_release(&w);
		free(text);
	}
	dbh_vault_release(&v);
	dbh_vault_release(&v); /* harmless twice, like the others */
	free(buf);
	return 0;
}
