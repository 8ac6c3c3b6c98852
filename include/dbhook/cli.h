/* cli.h - the `dbhook` command line: options, dispatch, messages. */
#ifndef DBHOOK_CLI_H
#define DBHOOK_CLI_H

/* Runs `dbhook` with its arguments; returns the exit status. */
int dbh_cli_main(int argc, char **argv);

#endif
