/* options.h - the one option parser of both programs.
 *
 * Every option either program accepts is one row of a table (name, value
 * kind, help); every command is one row of a program's command table
 * (name, summary, the options it takes, its handler). One parser reads
 * argv against those tables into one struct, and the help of a program or
 * a command is generated from them, so what --help says and what is
 * accepted cannot drift apart.
 *
 * The parser never prints: it returns what to do (run, help, version) or
 * a usage error in a struct dbh_error. The caller prints.
 */
#ifndef DBHOOK_OPTIONS_H
#define DBHOOK_OPTIONS_H

#include "dbhook/error.h"

struct dbh_sbuf;

/* Every option of both programs. */
enum dbh_opt {
	DBH_O_DIR,
	DBH_O_URL_ENV,
	DBH_O_LOCK_TIMEOUT,
	DBH_O_STMT_LOCK_TIMEOUT,
	DBH_O_TIMEOUT,
	DBH_O_CONNECT_TIMEOUT,
	DBH_O_UNREACHABLE_TIMEOUT,
	DBH_O_PROBE_POOLER,
	DBH_O_ALLOW_UNRELATED,
	DBH_O_BASELINE,
	DBH_O_REQUIRE_APPLIED_ON,
	DBH_O_JSON,
	DBH_O_APPLIED,
	DBH_O_ROLLED_BACK,
	DBH_O_ENVIRONMENTS,
	DBH_O_STRICT,
	DBH_O_DRY_RUN,
	DBH_O_REPORT,
	DBH_O_PROFILE,
	DBH_O_CONFIG,
	DBH_O_CHECK,
	DBH_O_DELETE,
	DBH_O_ROTATE,
	DBH_O_SCRYPT_N,
	DBH_O_URL_FD,
	DBH_O_PASSWORD_FD,
	DBH_O_YES,
	DBH_O_MAX_AGE,
	DBH_O_OFFLINE,
	DBH_O_WARNINGS_OK,
	DBH_O_SAFETY,
	DBH_O_QUIET,
	DBH_O_HELP,
	DBH_O_VERSION,
	DBH_O_END /* ends the option lists below */
};

/* --safety: what the safety check's errors do to a deploy. */
enum dbh_safety_mode {
	DBH_SAFETY_WARN = 1, /* report them, apply anyway (the default) */
	DBH_SAFETY_BLOCK,    /* apply nothing when there is an error */
	DBH_SAFETY_OFF	     /* no check */
};

/* The parsed command line. Strings point into argv. */
struct dbh_opts {
	const char *dir;		/* NULL: dbh_migdir_default() */
	const char *url_env;		/* NULL: the command's own search */
	const char *baseline;		/* deploy, run */
	const char *require_applied_on; /* deploy, vercel-build: a variable
					 * holding staging's URL */
	const char *applied;		/* resolve */
	const char *rolled_back;	/* resolve */
	const char *environments;	/* vercel-build, default "production" */
	const char *report;		/* vercel-build */
	const char *profile;	    /* setup, run; NULL: the default profile */
	const char *config;	    /* setup, run, profiles */
	const char *delete_profile; /* setup --delete */
	double lock_timeout;	    /* seconds, default 60 */
	double stmt_lock_timeout;   /* seconds, default 5 */
	double timeout;		    /* seconds, default 180; 0 = none */
	double unreachable_timeout; /* seconds, default 20 */
	int connect_timeout;	    /* whole seconds (2 at least); 0 = unset */
	int probe_pooler, allow_unrelated, json, quiet, strict, dry_run, check;
	int yes;		  /* run: no confirmation question */
	int offline, warnings_ok; /* check */
	int safety;  /* deploy, run, vercel-build: DBH_SAFETY_*; 0 = not given
		      * (MIGRATE_SAFETY, else warn) */
	int rotate;  /* setup --rotate */
	int max_age; /* run, profiles: days, default 90 */
	int url_fd, password_fd;     /* -1 when not given */
	unsigned long long scrypt_n; /* 0 when not given */
	char **words;		     /* new's NAME; vercel-build's command */
	int nwords;
	unsigned long long given; /* bit 1 << enum dbh_opt per option given */
};

/* An option as one command takes it: `help` replaces the option's own
 * help text where the command gives it another meaning or default. */
struct dbh_cmd_option {
	enum dbh_opt id;
	const char *help; /* NULL: the option's own */
};

/* The words a command takes after its options. */
enum dbh_words {
	DBH_WORDS_NONE,	   /* none: a word is refused (it may be a URL) */
	DBH_WORDS_NAME,	   /* exactly one NAME (dbhook new) */
	DBH_WORDS_COMMAND, /* the rest from the first word on, untouched */
};

struct dbh_command {
	const char *name;     /* NULL: the program's only command */
	const char *synopsis; /* after the name in the command list */
	const char *summary;  /* one line in the command list */
	const char *usage;    /* what follows "Usage: PROGRAM " */
	const char *about;    /* paragraphs, wrapped when printed */
	const struct dbh_cmd_option *options; /* ends with DBH_O_END */
	enum dbh_words words;
	const char *footer; /* printed as is at the end of the help */
	int (*run)(const struct dbh_opts *o);
	/* Help made from another table (check's rules), after the options;
	 * NULL for none. */
	void (*more_help)(struct dbh_sbuf *b);
};

struct dbh_program {
	const char *name;
	const char *usage; /* the program's own "Usage:" line */
	const char *about;
	const struct dbh_command *commands; /* ends with a NULL run */
	const enum dbh_opt *globals; /* taken by every command; DBH_O_END */
	const char *footer;
};

enum dbh_parsed {
	DBH_PARSED_RUN,
	DBH_PARSED_HELP,
	DBH_PARSED_VERSION,
	DBH_PARSED_ERROR
};

/* Parses argv[1..] against `prog`. Fills `o` (defaults first) and `*cmd`
 * (the command, or NULL for the program's own help). Returns what to do;
 * DBH_PARSED_ERROR with `err` filled (DBH_EUSAGE), never showing a word
 * of argv that could be a secret. */
enum dbh_parsed dbh_options_parse(const struct dbh_program *prog, int argc,
				  char **argv, const struct dbh_command **cmd,
				  struct dbh_opts *o, struct dbh_error *err);

/* The help of `cmd`, or of the program (help.c) when `cmd` is NULL or its only
 * command has no name. Returns a string the caller frees. */
char *dbh_options_help(const struct dbh_program *prog,
		       const struct dbh_command *cmd);

/* Whether option `id` was on the command line. */
int dbh_options_given(const struct dbh_opts *o, enum dbh_opt id);

/* Whether command `c` takes option `id`. */
int dbh_options_takes(const struct dbh_command *c, enum dbh_opt id);

/* "-q, --quiet" or "--dir DIR": option `id` as help lists it. */
void dbh_options_label(enum dbh_opt id, char *buf, size_t bufsz);

/* "warn", "block" or "off" as enum dbh_safety_mode; 0 for anything
 * else. */
int dbh_options_safety(const char *v);

/* The help text of option `id`. */
const char *dbh_options_text(enum dbh_opt id);

/* "--name" of option `id`, for messages. */
const char *dbh_options_name(enum dbh_opt id, char *buf, size_t bufsz);

#endif
