/* hook.h - `vercel-build`, the build hook. */
#ifndef DBHOOK_HOOK_H
#define DBHOOK_HOOK_H

/* Runs `vercel-build` with its arguments; returns the exit status (or
 * does not return when it hands off to the build command). */
int dbh_hook_main(int argc, char **argv);

#endif
