/* hook.h - `vercel-build`, the build hook: decide, migrate (with graceful
 * fallback), report, hand off to the build. */
#ifndef DBHOOK_HOOK_H
#define DBHOOK_HOOK_H

#include "dbhook/options.h"

/* Runs the hook with the options parsed by options.c; returns the exit
 * status, or does not return when it hands off to the build command. */
int dbh_hook_run(const struct dbh_opts *o);

#endif
