/* dbhook_main.c - the `dbhook` command line: everything is in cli.c. */
#include "dbhook/cli.h"

int main(int argc, char **argv)
{
	return dbh_cli_main(argc, argv);
}
