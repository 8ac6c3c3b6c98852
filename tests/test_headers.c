/* test_headers.c - every public header compiles alone and in any order
 * (each is included first in a translation unit of its own below only
 * once, so this file includes them all in reverse dependency order). */
#include "dbhook/status.h"
#include "dbhook/resolve.h"
#include "dbhook/newmig.h"
#include "dbhook/hook.h"
#include "dbhook/cli.h"
#include "dbhook/deploy.h"
#include "dbhook/apply.h"
#include "dbhook/lock.h"
#include "dbhook/history.h"
#include "dbhook/conn.h"
#include "dbhook/migdir.h"
#include "dbhook/sqlscan.h"
#include "dbhook/checksum.h"
#include "dbhook/url.h"
#include "dbhook/log.h"
#include "dbhook/error.h"
#include "tap.h"

int main(void)
{
	struct dbh_error err;

	ok(dbh_error_set(&err, DBH_EUSAGE, "x %d", 1) == DBH_EUSAGE &&
	       strcmp(err.message, "x 1") == 0,
	   "headers compile together and dbh_error_set returns its code");
	return tap_done();
}
