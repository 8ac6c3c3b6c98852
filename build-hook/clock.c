/* clock.c - see clock.h. */
#include "dbhook/clock.h"

#include <time.h>

double dbh_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void dbh_sleep(double seconds)
{
	struct timespec ts;

	if (seconds <= 0)
		return;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0)
		;
}

double dbh_left(double deadline)
{
	double left;

	if (deadline <= 0)
		return 1e9;
	left = deadline - dbh_now();
	return left > 0 ? left : 0;
}
