/* ptydrive.c - run a program on a pseudo-terminal, as a person would.
 *
 *   ptydrive [-t SECS] -s SCRIPT -- COMMAND [ARGS...]
 *
 * COMMAND runs in a new session whose controlling terminal (and stdin,
 * stdout, stderr) is the slave side of a fresh pty, so its /dev/tty is
 * that pty. SCRIPT (a file, so no answer appears in a command line) holds
 * one step per line:
 *
 *   expect TEXT   wait until the output since the last match holds TEXT
 *   send TEXT     type TEXT, then Enter (CR, as a terminal sends it)
 *   type TEXT     type TEXT without Enter
 *   ctrl X        type control-X (e.g. "ctrl C" sends ^C, an interrupt)
 *   sleep MS      wait MS milliseconds (reading output meanwhile)
 *   echo-state    write "[ptydrive: echo on]" or "... off]" to the
 *                 transcript: the pty's current ECHO flag
 *   # ...         comment; blank lines are ignored
 *
 * Everything the program writes to the terminal (its prompts, whatever
 * the terminal echoes of the typed text, its messages) is copied to
 * stdout with carriage returns removed: the screen transcript. At the end
 * the transcript gets "[ptydrive: exit N, echo on|off]" (or "signal N")
 * and ptydrive exits with the program's status (128 + N for a signal).
 * A step that times out (-t, default 30 s) kills the program and exits
 * 124 with a message on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int master = -1, slave = -1;
static pid_t child = -1;
static int child_status = -1;
static char *seen; /* transcript without CRs */
static size_t seen_len, seen_cap, match_from;
static double timeout_s = 30;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "ptydrive: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	if (child > 0 && child_status < 0) {
		kill(-child, SIGKILL);
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	exit(124);
}

static void out(const char *s, size_t n)
{
	if (seen_len + n + 1 > seen_cap) {
		size_t cap = seen_cap ? seen_cap : 4096;
		char *p;

		while (cap < seen_len + n + 1)
			cap *= 2;
		p = realloc(seen, cap);
		if (!p)
			die("%s", "out of memory");
		seen = p;
		seen_cap = cap;
	}
	for (size_t i = 0; i < n; i++)
		if (s[i] != '\r')
			seen[seen_len++] = s[i];
	seen[seen_len] = '\0';
}

/* Copies what the program wrote within `ms` milliseconds (or what is
 * there now) to the transcript. Returns 0 when nothing came. */
static int pump(int ms)
{
	struct pollfd p = {master, POLLIN, 0};
	char buf[4096];
	size_t before = seen_len;
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	while ((n = read(master, buf, sizeof(buf))) > 0) {
		size_t old = seen_len;

		out(buf, (size_t)n);
		fwrite(seen + old, 1, seen_len - old, stdout);
	}
	fflush(stdout);
	return seen_len > before;
}

static void reap(void)
{
	int st;

	if (child_status < 0 && waitpid(child, &st, WNOHANG) == child)
		child_status = st;
}

static void put(const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(master, s, n);

		if (w < 0 && (errno == EINTR || errno == EAGAIN)) {
			pump(10);
			continue;
		}
		if (w <= 0)
			die("%s", "cannot write to the pty");
		s += w;
		n -= (size_t)w;
	}
}

static void expect(const char *text)
{
	double end = now() + timeout_s;

	for (;;) {
		char *at = strstr(seen + match_from, text);

		if (at) {
			match_from = (size_t)(at - seen) + strlen(text);
			return;
		}
		if (now() > end)
			die("timed out waiting for \"%s\"", text);
		if (!pump(50)) {
			reap();
			if (child_status >= 0 && !pump(0))
				die("the program ended while waiting for "
				    "\"%s\"",
				    text);
		}
	}
}

static int echo_on(void)
{
	struct termios t;

	return tcgetattr(slave, &t) == 0 && (t.c_lflag & ECHO);
}

static void echo_state(void)
{
	char line[64];

	snprintf(line, sizeof(line), "[ptydrive: echo %s]\n",
		 echo_on() ? "on" : "off");
	out(line, strlen(line));
	fputs(line, stdout);
	fflush(stdout);
}

static void step(char *line)
{
	size_t n = strlen(line);
	char *arg;

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (!*line || *line == '#')
		return;
	arg = strchr(line, ' ');
	if (arg)
		*arg++ = '\0';
	else
		arg = line + n;
	if (strcmp(line, "expect") == 0) {
		expect(arg);
	} else if (strcmp(line, "send") == 0) {
		put(arg, strlen(arg));
		put("\r", 1);
	} else if (strcmp(line, "type") == 0) {
		put(arg, strlen(arg));
	} else if (strcmp(line, "ctrl") == 0 && arg[0] && !arg[1]) {
		char c = (char)(arg[0] & 0x1f);

		put(&c, 1);
	} else if (strcmp(line, "sleep") == 0) {
		double end = now() + atoi(arg) / 1000.0;

		while (now() < end)
			pump(10);
	} else if (strcmp(line, "echo-state") == 0) {
		pump(0);
		echo_state();
	} else {
		die("unknown script step \"%s\"", line);
	}
}

int main(int argc, char **argv)
{
	const char *script = NULL;
	struct winsize ws = {24, 80, 0, 0};
	char line[8192], tail[96];
	FILE *f;
	double end;
	int c;

	while ((c = getopt(argc, argv, "+t:s:")) != -1) {
		if (c == 't')
			timeout_s = atof(optarg);
		else if (c == 's')
			script = optarg;
		else
			return 2;
	}
	if (!script || optind >= argc) {
		fprintf(stderr, "usage: ptydrive [-t SECS] -s SCRIPT -- "
				"COMMAND [ARGS...]\n");
		return 2;
	}
	out("", 0); /* an empty transcript to search from the start */
	f = fopen(script, "r");
	if (!f)
		die("cannot open the script %s", script);
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master))
		die("%s", "no pseudo-terminal");
	ioctl(master, TIOCSWINSZ, &ws);
	/* Our own handle on the slave: the terminal settings stay readable
	 * after the program exits (echo-state). */
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	if (slave < 0)
		die("cannot open %s", ptsname(master));
	child = fork();
	if (child < 0)
		die("%s", "fork failed");
	if (child == 0) {
		int tty;

		sigset_t none;

		/* As a login terminal would start it: default signal
		 * actions, nothing blocked. */
		for (int sig = 1; sig < NSIG; sig++)
			signal(sig, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setsid();
		tty = open(ptsname(master), O_RDWR); /* controlling tty */
		if (tty < 0 || ioctl(tty, TIOCSCTTY, 0) < 0)
			_exit(126);
		dup2(tty, 0);
		dup2(tty, 1);
		dup2(tty, 2);
		if (tty > 2)
			close(tty);
		close(master);
		close(slave);
		fclose(f);
		execvp(argv[optind], argv + optind);
		_exit(127);
	}
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	while (fgets(line, sizeof(line), f))
		step(line);
	fclose(f);
	/* Drain until the program is gone and the pty is quiet. */
	end = now() + timeout_s;
	for (;;) {
		int got = pump(50);

		reap();
		if (child_status >= 0 && !got && !pump(20))
			break;
		if (now() > end)
			die("%s", "timed out waiting for the program to exit");
	}
	if (WIFSIGNALED(child_status))
		snprintf(tail, sizeof(tail), "[ptydrive: signal %d, echo %s]\n",
			 WTERMSIG(child_status), echo_on() ? "on" : "off");
	else
		snprintf(tail, sizeof(tail), "[ptydrive: exit %d, echo %s]\n",
			 WEXITSTATUS(child_status), echo_on() ? "on" : "off");
	if (seen_len && seen[seen_len - 1] != '\n')
		fputc('\n', stdout);
	fputs(tail, stdout);
	fflush(stdout);
	free(seen);
	return WIFSIGNALED(child_status) ? 128 + WTERMSIG(child_status)
					 : WEXITSTATUS(child_status);
}
