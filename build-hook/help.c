/* help.c - the help of a program or a command, generated from the
 * command tables (commands.c) and the option table (options.c), so it
 * cannot drift from what is accepted. */
#include <stdio.h>
#include <string.h>

#include "dbhook/options.h"
#include "dbhook/sbuf.h"

#define WIDTH 79
#define COLUMN 25 /* where an option's or a command's help starts */

/* Adds `text` word-wrapped at WIDTH, each line after the first indented
 * by `indent` spaces; `col` is the column the first line starts at. */
static void wrap(struct dbh_sbuf *b, const char *text, size_t col,
		 size_t indent)
{
	static const char spaces[] = "                                   ";

	while (*text) {
		size_t n = strcspn(text, " ");

		if (col > indent && col + 1 + n > WIDTH) {
			dbh_sbuf_add(b, "\n");
			dbh_sbuf_addn(b, spaces, indent);
			col = indent;
		} else if (col > indent) {
			dbh_sbuf_add(b, " ");
			col++;
		}
		dbh_sbuf_addn(b, text, n);
		col += n;
		text += n;
		text += strspn(text, " ");
	}
	dbh_sbuf_add(b, "\n");
}

/* Paragraphs separated by an empty line, each wrapped. */
static void paragraphs(struct dbh_sbuf *b, const char *text)
{
	while (*text) {
		const char *end = strstr(text, "\n\n");
		size_t n = end ? (size_t)(end - text) : strlen(text);
		char para[1024];

		snprintf(para, sizeof(para), "%.*s", (int)n, text);
		for (char *c = para; *c; c++)
			if (*c == '\n')
				*c = ' ';
		wrap(b, para, 0, 0);
		text += n;
		if (*text) {
			dbh_sbuf_add(b, "\n");
			text += 2;
		}
	}
}

/* "  LABEL" padded to COLUMN, then `help` wrapped (on its own line when
 * the label is too long). */
static void item(struct dbh_sbuf *b, const char *label, const char *help)
{
	static const char spaces[] = "                         ";
	size_t n = strlen(label) + 2;

	dbh_sbuf_add(b, "  ");
	dbh_sbuf_add(b, label);
	if (n + 1 > COLUMN) {
		dbh_sbuf_add(b, "\n");
		n = 0;
	}
	dbh_sbuf_addn(b, spaces, COLUMN - n);
	wrap(b, help, COLUMN, COLUMN);
}

static void option_item(struct dbh_sbuf *b, enum dbh_opt id, const char *help)
{
	char label[64];

	dbh_options_label(id, label, sizeof(label));
	item(b, label, help ? help : dbh_options_text(id));
}

static void program_help(struct dbh_sbuf *b, const struct dbh_program *p)
{
	dbh_sbuf_add(b, "Usage: ");
	dbh_sbuf_add(b, p->usage);
	dbh_sbuf_add(b, "\n\n");
	paragraphs(b, p->about);
	dbh_sbuf_add(b, "\nCommands:\n");
	for (const struct dbh_command *c = p->commands; c->run; c++) {
		char label[96];

		snprintf(label, sizeof(label), "%s%s%s", c->name,
			 c->synopsis ? " " : "",
			 c->synopsis ? c->synopsis : "");
		item(b, label, c->summary);
	}
	dbh_sbuf_add(b, "\nOptions of every command:\n");
	for (const enum dbh_opt *g = p->globals; *g != DBH_O_END; g++)
		option_item(b, *g, NULL);
	dbh_sbuf_add(b, "\nRun '");
	dbh_sbuf_add(b, p->name);
	dbh_sbuf_add(b, " COMMAND --help' for the options of a command.\n");
}

static void command_help(struct dbh_sbuf *b, const struct dbh_program *p,
			 const struct dbh_command *c)
{
	dbh_sbuf_add(b, "Usage: ");
	dbh_sbuf_add(b, c->usage);
	dbh_sbuf_add(b, "\n\n");
	paragraphs(b, c->about);
	dbh_sbuf_add(b, "\nOptions:\n");
	for (const struct dbh_cmd_option *o = c->options; o->id != DBH_O_END;
	     o++)
		option_item(b, o->id, o->help);
	for (const enum dbh_opt *g = p->globals; *g != DBH_O_END; g++)
		option_item(b, *g, NULL);
}

char *dbh_options_help(const struct dbh_program *prog,
		       const struct dbh_command *cmd)
{
	struct dbh_sbuf b = {0};
	const char *footer = prog->footer;

	if (!cmd && !prog->commands[0].name)
		cmd = &prog->commands[0];
	if (cmd) {
		command_help(&b, prog, cmd);
		if (cmd->more_help)
			cmd->more_help(&b);
		if (cmd->footer)
			footer = cmd->footer;
	} else {
		program_help(&b, prog);
	}
	if (footer) {
		dbh_sbuf_add(&b, "\n");
		dbh_sbuf_add(&b, footer);
	}
	return b.s;
}
