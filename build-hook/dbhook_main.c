/* dbhook_main.c - the `dbhook` command line: everything is in commands.c.
 *
 * Called by the name `vercel-build` (a link, or argv[0] set by the npm
 * launcher), it is the build hook: the packaged binary is one file that
 * serves both programs, which halves the download. */
#include <string.h>

#include "dbhook/commands.h"

int main(int argc, char **argv)
{
	const char *name = argc > 0 && argv[0] ? strrchr(argv[0], '/') : NULL;

	name = name ? name + 1 : (argc > 0 && argv[0] ? argv[0] : "");
	return dbh_main(strcmp(name, "vercel-build") == 0 ? "vercel-build"
							  : "dbhook",
			argc, argv);
}
