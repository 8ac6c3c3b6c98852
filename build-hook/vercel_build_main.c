/* vercel_build_main.c - the build hook: everything is in commands.c. */
#include "dbhook/commands.h"

int main(int argc, char **argv)
{
	return dbh_main("vercel-build", argc, argv);
}
