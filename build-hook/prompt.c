/* prompt.c - secrets from the terminal (echo off) or a file descriptor. */
#include "dbhook/prompt.h"
#include "dbhook/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "dbhook/vault.h"

#define TTY "/dev/tty"

/* Signals that must not leave the terminal without echo. */
static const int caught[] = {SIGINT,  SIGTERM, SIGHUP,	SIGQUIT,
			     SIGTSTP, SIGTTIN, SIGTTOU, SIGALRM};
#define NCAUGHT (sizeof(caught) / sizeof(caught[0]))

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static int write_str(int fd, const char *s)
{
	return dbh_write_all(fd, s, strlen(s));
}

void dbh_prompt_say(const char *text)
{
	int fd = open(TTY, O_WRONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return;
	if (write_str(fd, text) == 0)
		write_str(fd, "\n");
	close(fd);
}

/* Reads one line from `fd` into `buf`. Returns the length, -1 on end of
 * input before any byte, -2 when too long, -3 on a read error, -4 when a
 * caught signal arrived. With `waitmask` (the terminal case) the caught
 * signals are blocked by the caller and only let through while waiting
 * in ppoll, so one that arrives just before a read cannot be missed. */
static long read_line(int fd, char *buf, size_t bufsz, const sigset_t *waitmask)
{
	size_t len = 0;
	int too_long = 0, any = 0;

	for (;;) {
		char c;
		ssize_t n;

		if (waitmask) {
			struct pollfd p = {fd, POLLIN, 0};

			if (got_signal)
				return -4;
			if (ppoll(&p, 1, NULL, waitmask) < 0) {
				if (errno == EINTR)
					continue;
				return -3;
			}
		}
		n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = {fd, POLLIN, 0};

			poll(&p, 1, -1);
			continue;
		}
		if (n < 0)
			return -3;
		if (n == 0) {
			if (!any)
				return -1;
			break;
		}
		any = 1;
		if (c == '\n')
			break;
		if (len + 1 < bufsz)
			buf[len++] = c;
		else
			too_long = 1;
	}
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (too_long)
		return -2;
	return (long)len;
}

int dbh_prompt_confirm(const char *question)
{
	char answer[16];
	int fd = open(TTY, O_RDWR | O_CLOEXEC | O_NOCTTY);
	long n;

	if (fd < 0)
		return 0;
	/* Echo stays on: nothing secret is typed. Ctrl-C ends the program
	 * by default, with the terminal as it was. */
	n = write_str(fd, question) == 0
		? read_line(fd, answer, sizeof(answer), NULL)
		: -3;
	close(fd);
	return n > 0 && (answer[0] == 'y' || answer[0] == 'Y');
}

/* Reads one line from the terminal `fd` with echo off, after writing
 * `prompt`; the terminal is restored however the read ends. Returns
 * read_line's result (-4 when interrupted), the signal in *sig. */
static long quiet_read(int fd, const struct termios *old, const char *prompt,
		       char *buf, size_t bufsz, int *sig)
{
	struct sigaction sa, old_sa[NCAUGHT];
	sigset_t block, oldmask;
	struct termios quiet;
	long n;

restart:
	got_signal = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (size_t i = 0; i < NCAUGHT; i++)
		sigaddset(&block, caught[i]);
	sigprocmask(SIG_BLOCK, &block, &oldmask);
	for (size_t i = 0; i < NCAUGHT; i++)
		sigaction(caught[i], &sa, &old_sa[i]);
	quiet = *old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	quiet.c_iflag |= ICRNL;
	/* Echo goes off before the prompt appears, so nothing typed after
	 * the prompt can be echoed. */
	tcsetattr(fd, TCSAFLUSH, &quiet);
	write_str(fd, prompt);
	n = read_line(fd, buf, bufsz, &oldmask);
	tcsetattr(fd, TCSAFLUSH, old);
	write_str(fd, "\n");
	for (size_t i = 0; i < NCAUGHT; i++)
		sigaction(caught[i], &old_sa[i], NULL);
	/* A signal that came after the wait is delivered here, with the
	 * terminal already restored. */
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	*sig = got_signal;
	if (n == -4 || (*sig && n < 0)) {
		dbh_secret_wipe(buf, bufsz);
		buf[0] = '\0';
		/* Deliver it as if we had not caught it: the default
		 * action ends (or stops) the process. */
		kill(getpid(), *sig);
		if (*sig == SIGTSTP || *sig == SIGTTIN || *sig == SIGTTOU)
			goto restart; /* continued: ask again */
		return -4;
	}
	return n;
}

int dbh_prompt_secret(const char *prompt, char *buf, size_t bufsz,
		      struct dbh_error *err)
{
	struct termios old;
	long n;
	int fd, sig = 0;

	if (bufsz == 0)
		return dbh_error_set(err, DBH_EUSAGE, "no room for the input");
	buf[0] = '\0';
	fd = open(TTY, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || tcgetattr(fd, &old) != 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return dbh_error_set(err, DBH_EUSAGE,
				     "no terminal to ask on (" TTY ": %s)",
				     strerror(e));
	}
	n = quiet_read(fd, &old, prompt, buf, bufsz, &sig);
	close(fd);
	if (n == -4)
		return dbh_error_set(err, DBH_EUSAGE, "interrupted");
	if (n == -2) {
		dbh_secret_wipe(buf, bufsz);
		buf[0] = '\0';
		return dbh_error_set(err, DBH_EUSAGE,
				     "the input is too long (at most %zu "
				     "bytes)",
				     bufsz - 1);
	}
	if (n < 0) {
		dbh_secret_wipe(buf, bufsz);
		buf[0] = '\0';
		return dbh_error_set(err, DBH_EUSAGE,
				     n == -1 ? "no input (end of file on the "
					       "terminal)"
					     : "cannot read the terminal");
	}
	return 0;
}

int dbh_read_secret_fd(int fd, const char *what, char *buf, size_t bufsz,
		       struct dbh_error *err)
{
	long n;

	struct termios old;
	int sig = 0;

	if (bufsz == 0)
		return dbh_error_set(err, DBH_EUSAGE, "no room for the input");
	/* --password-fd 0 on a terminal: what is typed is not shown. */
	if (isatty(fd) && tcgetattr(fd, &old) == 0)
		n = quiet_read(fd, &old, "", buf, bufsz, &sig);
	else
		n = read_line(fd, buf, bufsz, NULL);
	if (n == -4)
		return dbh_error_set(err, DBH_EUSAGE, "interrupted");
	if (n > 0)
		return 0;
	dbh_secret_wipe(buf, bufsz);
	buf[0] = '\0';
	if (n == -2)
		return dbh_error_set(err, DBH_EUSAGE,
				     "%s read from file descriptor %d is too "
				     "long (at most %zu bytes)",
				     what, fd, bufsz - 1);
	if (n == -3) {
		int e = errno;

		return dbh_error_set(err, DBH_EUSAGE,
				     "cannot read %s from file descriptor %d: "
				     "%s",
				     what, fd, strerror(e));
	}
	return dbh_error_set(err, DBH_EUSAGE,
			     "%s read from file descriptor %d is empty", what,
			     fd);
}

int dbh_parse_fd(const char *arg, const char *opt, struct dbh_error *err)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (!*arg || *end || errno || v < 0 || v > INT_MAX) {
		dbh_error_set(err, DBH_EUSAGE,
			      "%s takes a file descriptor number", opt);
		dbh_error_hint(err, "e.g. %s 3 3<password-file", opt);
		return -1;
	}
	if (fcntl((int)v, F_GETFD) == -1) {
		dbh_error_set(err, DBH_EUSAGE,
			      "%s %ld: that file descriptor is not open", opt,
			      v);
		dbh_error_hint(err,
			       "Open it in the shell that runs dbhook, "
			       "e.g. %s 3 3<password-file",
			       opt);
		return -1;
	}
	return (int)v;
}
