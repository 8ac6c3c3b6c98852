/* checksum.c - SHA-256 checksums with Prisma's tolerant comparison. */
#include "dbhook/checksum.h"

#include "dbhook/alloc.h"
#include "dbhook/digest.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sha256(const void *data, size_t len, unsigned char md[32])
{
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, dbh_sha256(), NULL);
}

static void render(const unsigned char md[32], int padded, char *out,
		   size_t outsz)
{
	static const char digits[] = "0123456789abcdef";
	size_t used = 0;

	out[0] = '\0';
	if (padded && outsz > 64) {
		for (int i = 0; i < 32; i++) {
			out[2 * i] = digits[md[i] >> 4];
			out[2 * i + 1] = digits[md[i] & 15];
		}
		out[64] = '\0';
		return;
	}
	for (int i = 0; i < 32 && used < outsz; i++)
		used += (size_t)snprintf(out + used, outsz - used,
					 padded ? "%02x" : "%x", md[i]);
}

void dbh_checksum(const void *data, size_t len, char out[DBH_CHECKSUM_LEN + 1])
{
	unsigned char md[32];

	sha256(data, len, md);
	render(md, 1, out, DBH_CHECKSUM_LEN + 1);
}

/* The file with every CRLF turned into LF (to_crlf == 0), or with every LF
 * turned into CRLF (to_crlf == 1; like Prisma, even an LF that already
 * follows a CR). Returns a malloc'd copy and its length. */
static char *convert(const char *data, size_t len, int to_crlf, size_t *outlen)
{
	size_t cap = to_crlf ? len * 2 + 1 : len + 1;
	char *out = dbh_xmalloc(cap);
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (to_crlf && data[i] == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
		} else if (!to_crlf && data[i] == '\r' && i + 1 < len &&
			   data[i + 1] == '\n') {
			out[o++] = '\n';
			i++;
		} else {
			out[o++] = data[i];
		}
	}
	*outlen = o;
	return out;
}

static int matches_one(const char *stored, int padded, const void *data,
		       size_t len)
{
	unsigned char md[32];
	char hex[DBH_CHECKSUM_LEN + 1];

	sha256(data, len, md);
	render(md, padded, hex, sizeof(hex));
	return strcmp(stored, hex) == 0;
}

int dbh_checksum_matches(const char *stored, const void *data, size_t len,
			 const char *data_sum)
{
	size_t slen = strlen(stored);
	int padded = slen == DBH_CHECKSUM_LEN;
	int found = 0;

	if (slen == 0)
		return 0;
	if (padded && data_sum)
		found = strcmp(stored, data_sum) == 0;
	else
		found = matches_one(stored, padded, data, len);
	for (int to_crlf = 0; !found && to_crlf <= 1; to_crlf++) {
		size_t clen = 0;
		char *copy = convert(data, len, to_crlf, &clen);

		found = matches_one(stored, padded, copy, clen);
		free(copy);
	}
	return found;
}
