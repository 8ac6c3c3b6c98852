/* commands.h - the front door of both programs: the command tables of
 * `dbhook` and `vercel-build` (commands.c) and the one main they share. */
#ifndef DBHOOK_COMMANDS_H
#define DBHOOK_COMMANDS_H

/* Runs `program` ("dbhook" or "vercel-build") with its arguments: parses
 * them (options.c), prints the help, the version or a usage error, or
 * runs the command. Returns the exit status (enum dbh_exit), or does not
 * return when vercel-build hands off to the build. */
int dbh_main(const char *program, int argc, char **argv);

#endif
