/* clock.h - monotonic time and sleeping, for budgets and back-off. */
#ifndef DBHOOK_CLOCK_H
#define DBHOOK_CLOCK_H

/* Monotonic clock in seconds. */
double dbh_now(void);

/* Sleeps `seconds` (fractions allowed; <= 0 returns at once). */
void dbh_sleep(double seconds);

/* Seconds left until `deadline` (a dbh_now() value); a large number when
 * deadline is 0 (no limit), never negative. */
double dbh_left(double deadline);

#endif
