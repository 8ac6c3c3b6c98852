/* vercel_build_main.c - the build hook: everything is in hook.c. */
#include "dbhook/hook.h"

int main(int argc, char **argv)
{
	return dbh_hook_main(argc, argv);
}
