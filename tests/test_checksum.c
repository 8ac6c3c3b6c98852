/* test_checksum.c - Prisma's checksum and its tolerant comparison. */
#include <string.h>

#include "dbhook/checksum.h"
#include "tap.h"

int main(void)
{
	char sum[DBH_CHECKSUM_LEN + 1];
	const char *lf = "CREATE TABLE a (id int);\nSELECT 1;\n";
	const char *crlf = "CREATE TABLE a (id int);\r\nSELECT 1;\r\n";
	char lf_sum[65], crlf_sum[65];

	/* Prisma's own test vector (checksum.rs). */
	dbh_checksum("hello", 5, sum);
	is_str(
	    sum,
	    "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
	    "sha256 of \"hello\" is Prisma's vector");
	dbh_checksum("", 0, sum);
	is_str(
	    sum,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "sha256 of the empty file");

	dbh_checksum(lf, strlen(lf), lf_sum);
	dbh_checksum(crlf, strlen(crlf), crlf_sum);
	ok(strcmp(lf_sum, crlf_sum) != 0, "LF and CRLF files hash differently");
	ok(dbh_checksum_matches(lf_sum, lf, strlen(lf), NULL),
	   "exact checksum matches");
	ok(dbh_checksum_matches(lf_sum, crlf, strlen(crlf), NULL),
	   "stored LF checksum matches the file checked out with CRLF");
	ok(dbh_checksum_matches(crlf_sum, lf, strlen(lf), NULL),
	   "stored CRLF checksum matches the file checked out with LF");
	ok(!dbh_checksum_matches(lf_sum, "SELECT 2;\n", 10, NULL),
	   "another file does not match");
	ok(!dbh_checksum_matches("", lf, strlen(lf), NULL),
	   "an empty stored checksum never matches");
	ok(!dbh_checksum_matches("2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA"
				 "7425E73043362938B9824",
				 "hello", 5, NULL),
	   "comparison is case-sensitive, as Prisma's");

	/* sha256("a") has bytes below 0x10: 0x0d, 0x05, ...
	 * "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
	 * Take a text whose digest has such bytes and drop the padding. */
	{
		unsigned char md_text[] = "migration with small bytes";
		char padded[65], legacy[65];
		size_t o = 0;

		dbh_checksum(md_text, strlen((char *)md_text), padded);
		/* Rebuild the non-padded form from the padded hex. */
		for (int i = 0; i < 64; i += 2) {
			if (padded[i] == '0') {
				legacy[o++] = padded[i + 1];
			} else {
				legacy[o++] = padded[i];
				legacy[o++] = padded[i + 1];
			}
		}
		legacy[o] = '\0';
		ok(strlen(legacy) < 64,
		   "test text has a digest byte below 0x10");
		ok(dbh_checksum_matches(legacy, md_text,
					strlen((char *)md_text), NULL),
		   "legacy non-padded checksum matches");
		ok(!dbh_checksum_matches(legacy, "other", 5, NULL),
		   "legacy checksum of another file does not match");
	}
	ok(dbh_checksum_matches(lf_sum, lf, strlen(lf), lf_sum),
	   "precomputed sum is used");
	return tap_done();
}
