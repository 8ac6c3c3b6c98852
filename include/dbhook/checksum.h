/* checksum.h - Prisma's migration checksum.
 *
 * The checksum is the lowercase, zero-padded hex SHA-256 of the file bytes.
 * Comparison is tolerant as Prisma's is: a stored checksum also matches the
 * file with CRLF turned into LF or LF into CRLF (git may change line ends),
 * and a stored value whose length is not 64 is compared against the old
 * engines' non-padded hex ("{:x}" per byte).
 */
#ifndef DBHOOK_CHECKSUM_H
#define DBHOOK_CHECKSUM_H

#include <stddef.h>

#define DBH_CHECKSUM_LEN 64

/* Writes the 64 hex digits and a NUL into `out`. */
void dbh_checksum(const void *data, size_t len, char out[DBH_CHECKSUM_LEN + 1]);

/* Nonzero when `stored` matches `data` under Prisma's rules. `data_sum` is
 * dbh_checksum(data) if the caller has it already (or NULL). */
int dbh_checksum_matches(const char *stored, const void *data, size_t len,
			 const char *data_sum);

#endif
