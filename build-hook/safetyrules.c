/* safetyrules.c - see safetyrules.h; the rule ids and texts are in
 * safety.c, the thresholds here.
 *
 * Lock levels follow PostgreSQL 15's AlterTableGetLockLevel() and the
 * "Conflicting Lock Modes" table: ALTER TABLE takes ACCESS EXCLUSIVE
 * unless noted, ADD FOREIGN KEY SHARE ROW EXCLUSIVE on both tables,
 * CREATE INDEX SHARE (blocks writes), anything CONCURRENTLY and VALIDATE
 * SHARE UPDATE EXCLUSIVE (blocks no reads or writes).
 */
#include "dbhook/safetyrules.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/alloc.h"
#include "dbhook/sbuf.h"

/* Below SMALL_ROWS rows (and SMALL_BYTES) a lock is held for moments: a
 * note. From BIG_ROWS rows or BIG_BYTES it is held for minutes: an
 * error. Between: a warning. */
#define SMALL_ROWS 10000.0
#define SMALL_BYTES (128.0 * 1024 * 1024)
#define BIG_ROWS 1000000.0
#define BIG_BYTES (1024.0 * 1024 * 1024)

enum size { SZ_UNKNOWN, SZ_SMALL, SZ_MEDIUM, SZ_BIG };

/* A table as a statement names it, with what the walk knows of it. */
struct tref {
	const char *schema, *name; /* borrowed from the parse tree */
	size_t req;		   /* index in the facts request */
	const cJSON *facts;	   /* the database's, or NULL */
	int created;		   /* created earlier in this batch */
};

struct dbh_safety_state {
	struct dbh_safety_walk *w;
	size_t mi;			  /* the migration's place */
	const struct dbh_safety_mig *mig; /* the migration */
	const struct dbh_pstmt *st;	  /* the statement */
	char ids[8][8];			  /* its `dbhook:ignore` rule ids */
	char reason[8][160];
	size_t nids;
	char fids[8][8]; /* the file's `dbhook:ignore-file` ids */
	char freason[8][160];
	size_t nfids;
	/* Names created in this batch ("schema\0name" keys). */
	char **created;
	size_t ncreated;
	/* Tables already reported for DH303/DH401 (one finding each). */
	size_t *seen;
	size_t nseen;
	/* This file: tables under a strong lock, the first line where a
	 * second one was locked, DDL on existing tables, columns dropped and
	 * added per table (for DH104). */
	size_t strong[16];
	size_t nstrong;
	int pileup_line;
	const struct dbh_pstmt *ddl;
	struct drop {
		size_t table;
		const char *column;
		const struct dbh_pstmt *st;
		char ids[8][8], reason[8][160];
		size_t nids;
	} drops[32];
	size_t ndrops;
	size_t added[32];
	size_t nadded;
	struct notvalid { /* constraints added NOT VALID in this file */
		size_t table;
		const char *name;
	} notvalid[16];
	size_t nnotvalid;
	int reported_long; /* DH401 for old transactions: once */
};

/* --- the parse tree ----------------------------------------------------------
 */

static const cJSON *J(const cJSON *o, const char *key)
{
	return o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = J(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int jtrue(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(J(o, key));
}

static double jnum(const cJSON *o, const char *key, double dflt)
{
	const cJSON *v = J(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static int is(const char *a, const char *b)
{
	return a && strcmp(a, b) == 0;
}

/* {"String": {"sval": "x"}} → "x". */
static const char *sval(const cJSON *node)
{
	return jstr(J(node, "String"), "sval");
}

/* The last name of a qualified name list. */
static const char *last_name(const cJSON *list)
{
	const cJSON *v = list ? list->child : NULL;

	while (v && v->next)
		v = v->next;
	return v ? sval(v) : NULL;
}

/* The one-before-last (the schema of "schema"."name"), or NULL. */
static const char *schema_of(const cJSON *list)
{
	int n = cJSON_GetArraySize(list);

	return n >= 2 ? sval(cJSON_GetArrayItem(list, n - 2)) : NULL;
}

/* --- tables ------------------------------------------------------------------
 */

static int created_find(const struct dbh_safety_state *k, const char *schema,
			const char *name)
{
	for (size_t i = 0; i < k->ncreated; i++) {
		const char *s = k->created[i], *n = s + strlen(s) + 1;

		if (strcmp(n, name) == 0 &&
		    (!schema || !*s || strcmp(s, schema) == 0))
			return 1;
	}
	return 0;
}

static void created_add(struct dbh_safety_state *k, const char *schema,
			const char *name)
{
	size_t ls = schema ? strlen(schema) : 0, ln = strlen(name);
	char *key = dbh_xmalloc(ls + ln + 2);

	memcpy(key, schema ? schema : "", ls + 1);
	memcpy(key + ls + 1, name, ln + 1);
	k->created =
	    dbh_xrealloc(k->created, k->ncreated + 1, sizeof(*k->created));
	k->created[k->ncreated++] = key;
}

/* The element of the facts' list `list` answering request `i` ("i"),
 * or NULL (offline, or not found). */
static const cJSON *answer(const struct dbh_safety_state *k, const char *list,
			   size_t i)
{
	const cJSON *t;

	cJSON_ArrayForEach(t, J(k->w->facts, list))
	{
		if ((size_t)jnum(t, "i", -1) == i)
			return t;
	}
	return NULL;
}

/* The facts of request table `i`, or NULL (offline, or missing). */
static const cJSON *table_facts(const struct dbh_safety_state *k, size_t i)
{
	return answer(k, "tables", i);
}

static struct tref table(struct dbh_safety_state *k, const char *schema,
			 const char *name)
{
	struct tref t = {schema, name, 0, NULL, 0};

	t.created = created_find(k, schema, name);
	t.req = dbh_facts_want_table(k->w->req, schema, name);
	t.facts = table_facts(k, t.req);
	return t;
}

static struct tref rangevar(struct dbh_safety_state *k, const cJSON *rv)
{
	if (J(rv, "RangeVar"))
		rv = J(rv, "RangeVar");
	return table(k, jstr(rv, "schemaname"),
		     jstr(rv, "relname") ? jstr(rv, "relname") : "?");
}

/* Whether the database was asked and says the table is not there. */
static int missing(const struct dbh_safety_state *k, const struct tref *t)
{
	return k->w->facts && !t->facts && !t->created;
}

static enum size size_of(const struct dbh_safety_state *k, const cJSON *t)
{
	double rows, bytes;

	if (!k->w->facts || !t)
		return SZ_UNKNOWN;
	rows = jnum(t, "rows", -1);
	bytes = jnum(t, "bytes", 0);
	if (rows >= BIG_ROWS || bytes >= BIG_BYTES)
		return SZ_BIG;
	if (rows < SMALL_ROWS && bytes < SMALL_BYTES)
		return SZ_SMALL;
	return SZ_MEDIUM;
}

/* A lock's severity by the size of what it locks. */
static enum dbh_sev lock_sev(enum size s)
{
	return s == SZ_BIG     ? DBH_SEV_ERROR
	       : s == SZ_SMALL ? DBH_SEV_INFO
			       : DBH_SEV_WARNING;
}

/* "1,234,567" */
static void thousands(double v, char *buf, size_t n)
{
	char raw[32];
	size_t len, o = 0;

	snprintf(raw, sizeof(raw), "%.0f", v < 0 ? 0 : v);
	len = strlen(raw);
	for (size_t i = 0; i < len && o + 2 < n; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = raw[i];
	}
	buf[o] = '\0';
}

/* "about 1,000,000 rows, 42 MB", "empty", "size unknown". */
static void size_text(const struct dbh_safety_state *k, const cJSON *t,
		      char *buf, size_t n)
{
	double rows = jnum(t, "rows", -1), bytes = jnum(t, "bytes", 0);
	char r[32];

	if (!k->w->facts || !t) {
		snprintf(buf, n, "size unknown");
		return;
	}
	if (rows <= 0 && !jtrue(t, "has_rows") && bytes < 65536) {
		snprintf(buf, n, "empty");
		return;
	}
	thousands(rows, r, sizeof(r));
	if (bytes >= 1024.0 * 1024 * 1024)
		snprintf(buf, n, "about %s rows, %.1f GB", r,
			 bytes / (1024.0 * 1024 * 1024));
	else if (bytes >= 1024.0 * 1024)
		snprintf(buf, n, "about %s rows, %.0f MB", r,
			 bytes / (1024.0 * 1024));
	else
		snprintf(buf, n, "about %s rows, %.0f kB", r, bytes / 1024.0);
}

/* "User" or "s"."User": quoted, as Prisma's PascalCase names must be
 * in any SQL a user copies from us. */
static void qident(struct dbh_sbuf *b, const char *s)
{
	dbh_sbuf_add(b, "\"");
	for (; *s; s++)
		dbh_sbuf_addn(b, *s == '"' ? "\"\"" : s, 1 + (*s == '"'));
	dbh_sbuf_add(b, "\"");
}

static char *qname(const struct tref *t)
{
	struct dbh_sbuf b = {0};

	if (t->schema) {
		qident(&b, t->schema);
		dbh_sbuf_add(&b, ".");
	}
	qident(&b, t->name);
	return b.s;
}

static char *qcol(const char *c)
{
	struct dbh_sbuf b = {0};

	qident(&b, c ? c : "?");
	return b.s;
}

/* --- findings ----------------------------------------------------------------
 */

/* Whether a directive silences rule `id` here: the reason, or NULL. */
static const char *silenced_by(const struct dbh_safety_state *k, const char *id)
{
	for (size_t i = 0; i < k->nids; i++)
		if (strcmp(k->ids[i], id) == 0)
			return k->reason[i];
	for (size_t i = 0; i < k->nfids; i++)
		if (strcmp(k->fids[i], id) == 0)
			return k->freason[i];
	return NULL;
}

static void vadd(struct dbh_safety_state *k, const struct dbh_pstmt *st,
		 const char *silence, const char *id, enum dbh_sev sev,
		 const char *fix, const char *fmt, va_list ap)
{
	struct dbh_safety *out = k->w->out;
	struct dbh_finding *f;
	char msg[1024];

	if (k->w->collecting)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	out->f = dbh_xrealloc(out->f, out->n + 1, sizeof(*out->f));
	f = &out->f[out->n++];
	memset(f, 0, sizeof(*f));
	f->rule = dbh_rule_find(id);
	f->sev = sev;
	f->file = dbh_xstrdup(k->mig->m->path);
	f->migration = dbh_xstrdup(k->mig->m->name);
	f->mi = k->mi;
	f->line = st->line;
	f->message = dbh_xstrdup(msg);
	f->fix = fix ? dbh_xstrdup(fix) : NULL;
	if (silence) {
		f->silenced = dbh_xstrdup(silence);
		out->silenced++;
	} else {
		out->count[sev]++;
	}
}

__attribute__((format(printf, 5, 6))) static void
add(struct dbh_safety_state *k, const char *id, enum dbh_sev sev,
    const char *fix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(k, k->st, silenced_by(k, id), id, sev, fix, fmt, ap);
	va_end(ap);
}

/* --- directives --------------------------------------------------------------
 */

/* Reads `-- dbhook:ignore[-file] ID[,ID...] reason` comments in the
 * lead of `st`. */
static void directives(struct dbh_safety_state *k, const struct dbh_pstmt *st,
		       int first)
{
	const char *sql = k->mig->m->sql;
	const char *p = sql + st->lead, *end = p + st->nlead;

	k->nids = 0;
	while ((p = memchr(p, '-', (size_t)(end - p))) != NULL && p + 1 < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *d;
		int file;
		char line[400], *ids, *reason, *tok, *save = NULL;

		if (!eol)
			eol = end;
		if (p[1] != '-') {
			p++;
			continue;
		}
		d = p + 2;
		while (d < eol && (*d == ' ' || *d == '\t'))
			d++;
		p = eol;
		snprintf(line, sizeof(line), "%.*s", (int)(eol - d), d);
		if (strncmp(line, "dbhook:ignore", 13) != 0)
			continue;
		file = strncmp(line + 13, "-file", 5) == 0;
		ids = line + 13 + (file ? 5 : 0);
		if (*ids && *ids != ' ' && *ids != '\t')
			continue; /* dbhook:ignored, dbhook:ignorefoo */
		ids += strspn(ids, " \t");
		reason = ids + strcspn(ids, " \t\r");
		if (*reason)
			*reason++ = '\0';
		reason += strspn(reason, " \t");
		reason[strcspn(reason, "\r")] = '\0';
		if (file && !first) {
			add(k, "DH404", DBH_SEV_WARNING,
			    "Put it before the first statement of the file, or "
			    "use `-- dbhook:ignore` before this statement.",
			    "`dbhook:ignore-file` after the first statement "
			    "has no effect");
			continue;
		}
		if (!*ids || !*reason) {
			add(k, "DH404", DBH_SEV_WARNING,
			    "Write the rule ids and why it is safe: `-- "
			    "dbhook:ignore DH201 the table is new in this "
			    "release`.",
			    "`dbhook:ignore%s` without %s: nothing is silenced",
			    file ? "-file" : "",
			    *ids ? "a reason" : "rule ids");
			continue;
		}
		for (tok = strtok_r(ids, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			size_t *n = file ? &k->nfids : &k->nids;

			if (!dbh_rule_find(tok)) {
				add(k, "DH404", DBH_SEV_WARNING,
				    "Use an id `dbhook check --help` lists.",
				    "unknown rule \"%.20s\" in a dbhook:ignore "
				    "comment",
				    tok);
				continue;
			}
			if (*n >= 8)
				continue;
			snprintf(file ? k->fids[*n] : k->ids[*n], 8, "%s", tok);
			snprintf(file ? k->freason[*n] : k->reason[*n], 160,
				 "%s", reason);
			(*n)++;
		}
	}
}

/* --- rules -------------------------------------------------------------------
 */

static int seen(struct dbh_safety_state *k, size_t req)
{
	for (size_t i = 0; i < k->nseen; i++)
		if (k->seen[i] == req)
			return 1;
	k->seen = dbh_xrealloc(k->seen, k->nseen + 1, sizeof(*k->seen));
	k->seen[k->nseen++] = req;
	return 0;
}

/* DH303 and DH401 for a table, at the first statement touching it. */
static void first_touch(struct dbh_safety_state *k, const struct tref *t)
{
	const cJSON *ix, *h;
	const char *tname;
	char *q;
	int idle = 0;
	struct dbh_sbuf pids = {0};

	if (t->created || !t->facts || seen(k, t->req))
		return;
	q = qname(t);
	cJSON_ArrayForEach(ix, J(t->facts, "indexes"))
	{
		if (!jtrue(ix, "valid") && jstr(ix, "name"))
			add(k, "DH303", DBH_SEV_WARNING,
			    "Drop it first, in its own migration: DROP INDEX "
			    "CONCURRENTLY IF EXISTS, then create it again "
			    "CONCURRENTLY.",
			    "index \"%s\" on %s is invalid (a CONCURRENTLY "
			    "build "
			    "that failed): it slows every write and is never "
			    "used; creating it again under that name fails",
			    jstr(ix, "name"), q);
	}
	tname = jstr(t->facts, "name");
	cJSON_ArrayForEach(h, J(k->w->facts, "lock_holders"))
	{
		const char *ht = jstr(h, "table"),
			   *dot = ht ? strchr(ht, '.') : NULL;
		const char *state = jstr(h, "state");

		if (!dot || !tname || strcmp(dot + 1, tname) != 0)
			continue;
		/* Idle in a transaction, it will not let go by itself. */
		idle |= state && strncmp(state, "idle in transaction", 19) == 0;
		dbh_sbuf_addf(&pids, "%spid %.0f (%s", pids.len ? "; " : "",
			      jnum(h, "pid", 0),
			      jstr(h, "mode") ? jstr(h, "mode") : "lock");
		if (state)
			dbh_sbuf_addf(&pids, ", %s for %.0f s", state,
				      jnum(h, "xact_age_s", 0));
		else
			dbh_sbuf_add(&pids, ", details hidden from this role");
		dbh_sbuf_add(&pids, ")");
	}
	if (pids.len)
		add(k, "DH401", idle ? DBH_SEV_ERROR : DBH_SEV_WARNING,
		    "The deploy waits for it with lock_timeout and retries; if "
		    "it does not end, end it (SELECT "
		    "pg_terminate_backend(pid)) "
		    "or deploy later.",
		    "%s is locked right now by %s: DDL on it waits, and all "
		    "traffic on it queues behind that wait",
		    q, pids.s);
	free(pids.s);
	free(q);
}

/* DH401 for transactions open for long anywhere in the database. */
static void long_xacts(struct dbh_safety_state *k)
{
	const cJSON *x;
	struct dbh_sbuf b = {0};

	if (k->reported_long || !k->w->facts)
		return;
	k->reported_long = 1;
	cJSON_ArrayForEach(x, J(k->w->facts, "long_xacts"))
	{
		dbh_sbuf_addf(&b, "%spid %.0f (%s for %.0f s)",
			      b.len ? "; " : "", jnum(x, "pid", 0),
			      jstr(x, "state") ? jstr(x, "state") : "?",
			      jnum(x, "xact_age_s", 0));
	}
	if (b.len)
		add(k, "DH401", DBH_SEV_WARNING,
		    "A long transaction holds back every lock it touched: end "
		    "it, or deploy when it is done.",
		    "transactions open for long right now: %s", b.s);
	free(b.s);
}

static void strong_lock(struct dbh_safety_state *k, const struct tref *t)
{
	if (t->created)
		return;
	k->ddl = k->st;
	for (size_t i = 0; i < k->nstrong; i++)
		if (k->strong[i] == t->req)
			return;
	if (k->nstrong < 16)
		k->strong[k->nstrong++] = t->req;
	if (k->nstrong == 2)
		k->pileup_line = k->st->line;
}

/* A statement locks an existing table: DH303/DH401 at the first touch,
 * counted for DH205. 0 when the lock rules do not apply (created in this
 * batch, or missing: DH301 says so where it matters). */
static int takes_lock(struct dbh_safety_state *k, const struct tref *t)
{
	if (t->created || missing(k, t))
		return 0;
	first_touch(k, t);
	strong_lock(k, t);
	return 1;
}

/* Calls to functions in an expression tree: their names. */
static void functions_in(const cJSON *n, void (*fn)(void *, const char *),
			 void *arg)
{
	const cJSON *c;

	if (!n)
		return;
	if (cJSON_IsObject(n) && J(n, "FuncCall")) {
		const char *name = last_name(J(J(n, "FuncCall"), "funcname"));

		if (name)
			fn(arg, name);
	}
	for (c = n->child; c; c = c->next)
		functions_in(c, fn, arg);
}

struct volatile_scan {
	struct dbh_safety_state *k;
	const char *found;
};

/* Built-in volatile functions a default may call, for the offline
 * verdict; online, pg_proc decides. */
static int volatile_offline(const char *f)
{
	static const char *const v[] = {
	    "random",		"gen_random_uuid", "uuid_generate_v1",
	    "uuid_generate_v4", "clock_timestamp", "timeofday",
	    "nextval",		"txid_current",	   "statement_timestamp"};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (strcmp(f, v[i]) == 0)
			return 1;
	return 0;
}

static void volatile_one(void *arg, const char *f)
{
	struct volatile_scan *vs = arg;
	const char *v;

	dbh_facts_want_function(vs->k->w->req, f);
	if (vs->found)
		return;
	v = jstr(J(vs->k->w->facts, "volatility"), f);
	if (vs->k->w->facts ? is(v, "v") : volatile_offline(f))
		vs->found = f;
}

static int is_serial(const char *t)
{
	return is(t, "serial") || is(t, "bigserial") || is(t, "smallserial") ||
	       is(t, "serial2") || is(t, "serial4") || is(t, "serial8");
}

static const cJSON *column_facts(const struct tref *t, const char *col)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, J(t->facts, "columns"))
	{
		if (is(jstr(c, "name"), col))
			return c;
	}
	return NULL;
}

static void add_constraint(struct dbh_safety_state *k, const struct tref *t,
			   const cJSON *con);

static void add_column(struct dbh_safety_state *k, const struct tref *t,
		       const cJSON *cmd, const cJSON *def)
{
	const char *col = jstr(def, "colname");
	const char *type = last_name(J(J(def, "typeName"), "names"));
	int notnull = 0, has_default = 0, generated = 0;
	struct volatile_scan vs = {k, NULL};
	const cJSON *c, *cons[8];
	size_t ncons = 0;
	char sz[64], *q = qname(t), *qc = qcol(col);
	enum size s = size_of(k, t->facts);

	cJSON_ArrayForEach(c, J(def, "constraints"))
	{
		const cJSON *con = J(c, "Constraint");
		const char *ct = jstr(con, "contype");

		if (is(ct, "CONSTR_PRIMARY") || is(ct, "CONSTR_UNIQUE") ||
		    is(ct, "CONSTR_FOREIGN") || is(ct, "CONSTR_CHECK") ||
		    is(ct, "CONSTR_EXCLUSION")) {
			/* Judged as ADD CONSTRAINT is, after the column. */
			// cppcheck-suppress knownConditionTrueFalse ; a loop
			if (ncons < 8)
				cons[ncons++] = con;
		}
		if (is(ct, "CONSTR_NOTNULL") || is(ct, "CONSTR_PRIMARY"))
			notnull = 1;
		else if (is(ct, "CONSTR_DEFAULT")) {
			has_default = 1;
			functions_in(J(con, "raw_expr"), volatile_one, &vs);
		} else if (is(ct, "CONSTR_GENERATED") ||
			   is(ct, "CONSTR_IDENTITY"))
			generated = 1;
	}
	if (k->nadded < 32)
		k->added[k->nadded++] = t->req;
	size_text(k, t->facts, sz, sizeof(sz));
	if (t->facts && col && column_facts(t, col) &&
	    !jtrue(cmd, "missing_ok")) {
		add(k, "DH301", DBH_SEV_ERROR,
		    "The database already has it: remove this statement, or "
		    "find out who added the column (drift).",
		    "column %s already exists in %s: this migration will fail "
		    "(42701)",
		    qc, q);
		goto out;
	}
	if (notnull && !has_default && !generated && !is_serial(type)) {
		if (col)
			k->w->req->t[t->req].probe_rows = 1;
		if (jtrue(t->facts, "has_rows"))
			add(k, "DH301", DBH_SEV_ERROR,
			    "Add it as optional (String?), fill it, then make "
			    "it required in a later migration; or give it a "
			    "constant @default.",
			    "column %s is NOT NULL without a default and %s "
			    "has "
			    "rows (%s): this migration will fail (23502)",
			    qc, q, sz);
		else
			add(k, "DH105", DBH_SEV_ERROR,
			    "Add it as optional (String?) or with a constant "
			    "@default first; make it required once no running "
			    "deployment writes without it.",
			    "required column %s without a default on %s (%s): "
			    "the deployment still serving traffic inserts rows "
			    "without it, and those inserts fail%s",
			    qc, q, sz,
			    t->facts ? ""
				     : "; on a table with rows this "
				       "migration fails");
	}
	if (is_serial(type) || generated || vs.found ||
	    (has_default &&
	     jnum(k->w->facts, "server_version_num", 150000) < 110000)) {
		char why[96];

		if (is_serial(type))
			snprintf(why, sizeof(why), "a %s column", type);
		else if (generated)
			snprintf(why, sizeof(why),
				 "a generated or identity column");
		else if (vs.found)
			snprintf(why, sizeof(why), "a default calling %s()",
				 vs.found);
		else
			snprintf(why, sizeof(why),
				 "a default before PostgreSQL 11");
		add(k, "DH202", lock_sev(s),
		    "Add the column without the default (nullable), fill it in "
		    "batches outside the deploy, then SET DEFAULT; or use a "
		    "constant default.",
		    "%s on %s (%s) rewrites the whole table under an ACCESS "
		    "EXCLUSIVE lock: reads and writes wait until it is done",
		    why, q, sz);
	}
	for (size_t i = 0; i < ncons; i++)
		add_constraint(k, t, cons[i]);
out:
	free(q);
	free(qc);
}

/* A validated CHECK (col IS NOT NULL) lets SET NOT NULL skip its scan. */
static int has_notnull_check(const struct tref *t, const char *col)
{
	const cJSON *c;
	char *qc = qcol(col);
	int found = 0;

	cJSON_ArrayForEach(c, J(t->facts, "checks"))
	{
		const char *def = cJSON_IsString(c) ? c->valuestring : "";
		char a[300], b[300];

		snprintf(a, sizeof(a), "(%s IS NOT NULL)", col);
		snprintf(b, sizeof(b), "(%s IS NOT NULL)", qc);
		if (strstr(def, a) || strstr(def, b))
			found = 1;
	}
	free(qc);
	return found;
}

static void set_not_null(struct dbh_safety_state *k, const struct tref *t,
			 const char *col)
{
	size_t probe = dbh_facts_want_nulls(k->w->req, t->req, col);
	char sz[64], *q, *qc;
	const cJSON *n = answer(k, "nulls", probe);

	if (jtrue(column_facts(t, col), "not_null"))
		return; /* already NOT NULL: nothing to do for the server */
	q = qname(t);
	qc = qcol(col);
	size_text(k, t->facts, sz, sizeof(sz));
	if (jtrue(n, "has_nulls"))
		add(k, "DH301", DBH_SEV_ERROR,
		    "Fill the NULLs first (UPDATE ... WHERE ... IS NULL, in "
		    "batches), in an earlier deploy.",
		    "column %s of %s has NULLs right now: SET NOT NULL will "
		    "fail (23502)",
		    qc, q);
	else if (!has_notnull_check(t, col) ||
		 jnum(k->w->facts, "server_version_num", 150000) < 120000)
		add(k, "DH203", lock_sev(size_of(k, t->facts)),
		    "Add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it in the "
		    "next migration, then SET NOT NULL (no scan) and drop the "
		    "CHECK. With Prisma: `prisma migrate dev --create-only`, "
		    "then edit the SQL.",
		    "SET NOT NULL on %s of %s (%s) scans the whole table under "
		    "an ACCESS EXCLUSIVE lock: reads and writes wait",
		    qc, q, sz);
	free(q);
	free(qc);
}

/* "character varying(20)" from a TypeName of the parse tree. */
static void type_text(const cJSON *tn, char *buf, size_t n)
{
	const char *name = last_name(J(tn, "names"));
	const cJSON *m;
	size_t o;
	static const char *const map[][2] = {
	    {"varchar", "character varying"},
	    {"bpchar", "character"},
	    {"int4", "integer"},
	    {"int8", "bigint"},
	    {"int2", "smallint"},
	    {"float8", "double precision"},
	    {"float4", "real"},
	    {"bool", "boolean"},
	    {"timestamptz", "timestamp with time zone"},
	    {"timestamp", "timestamp without time zone"}};

	for (size_t i = 0; name && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(name, map[i][0]) == 0)
			name = map[i][1];
	snprintf(buf, n, "%s", name ? name : "?");
	o = strlen(buf);
	cJSON_ArrayForEach(m, J(tn, "typmods"))
	{
		const cJSON *c = J(J(m, "A_Const"), "ival");

		if (o + 16 < n)
			o += (size_t)snprintf(
			    buf + o, n - o, "%s%.0f",
			    m == J(tn, "typmods")->child ? "(" : ",",
			    jnum(c, "ival", 0));
	}
	if (J(tn, "typmods") && o + 2 < n)
		snprintf(buf + o, n - o, ")");
}

/* "character varying(20)" → 20; -1 without a length. */
static long type_len(const char *t, const char *base)
{
	size_t n = strlen(base);

	if (strncmp(t, base, n) != 0)
		return -2;
	if (t[n] == '\0')
		return -1;
	return t[n] == '(' ? strtol(t + n + 1, NULL, 10) : -2;
}

/* Whether changing `from` to `to` keeps the stored bytes (PostgreSQL
 * then skips the rewrite): widening a varchar or a numeric's precision,
 * varchar to text, text to unbounded varchar. */
static int binary_coercible(const char *from, const char *to)
{
	long f;

	if (strcmp(from, to) == 0)
		return 1;
	if ((f = type_len(from, "character varying")) != -2) {
		long t = type_len(to, "character varying");

		if (strcmp(to, "text") == 0)
			return 1;
		return t == -1 || (t >= 0 && f >= 0 && t >= f);
	}
	if (strcmp(from, "text") == 0)
		return strcmp(to, "character varying") == 0;
	if (strncmp(from, "numeric(", 8) == 0 &&
	    strncmp(to, "numeric(", 8) == 0) {
		long fp = strtol(from + 8, NULL, 10),
		     tp = strtol(to + 8, NULL, 10);
		const char *fs = strchr(from, ','), *ts = strchr(to, ',');

		return tp >= fp && fs && ts && atol(fs + 1) == atol(ts + 1);
	}
	return strcmp(to, "numeric") == 0 && strncmp(from, "numeric", 7) == 0;
}

static void alter_type(struct dbh_safety_state *k, const struct tref *t,
		       const char *col, const cJSON *def)
{
	const cJSON *cf = column_facts(t, col);
	char to[128], sz[64], *q = qname(t), *qc = qcol(col);
	const char *from = jstr(cf, "type");
	enum size s = size_of(k, t->facts);

	type_text(J(def, "typeName"), to, sizeof(to));
	size_text(k, t->facts, sz, sizeof(sz));
	if (from && !J(def, "raw_default") && binary_coercible(from, to))
		add(k, "DH107", DBH_SEV_INFO,
		    "Make sure the running deployment can still read and write "
		    "the column.",
		    "%s of %s changes from %s to %s: no rewrite (the stored "
		    "data stays valid)",
		    qc, q, from, to);
	else
		add(k, "DH107", s == SZ_SMALL ? DBH_SEV_WARNING : DBH_SEV_ERROR,
		    "Add a new column of the new type, fill it in batches and "
		    "switch the code over, then drop the old column in a later "
		    "deploy.",
		    "%s of %s changes %s%s to %s: the table (%s) is rewritten "
		    "under an ACCESS EXCLUSIVE lock, and the running "
		    "deployment still reads the old type",
		    qc, q, from ? "from " : "type", from ? from : "", to, sz);
	free(q);
	free(qc);
}

static void add_constraint(struct dbh_safety_state *k, const struct tref *t,
			   const cJSON *con)
{
	const char *ct = jstr(con, "contype");
	char sz[64], *q = qname(t);
	enum size s = size_of(k, t->facts);

	size_text(k, t->facts, sz, sizeof(sz));
	if (jtrue(con, "skip_validation") && jstr(con, "conname") &&
	    k->nnotvalid < 16)
		k->notvalid[k->nnotvalid++] =
		    (struct notvalid){t->req, jstr(con, "conname")};
	if (is(ct, "CONSTR_FOREIGN") && !jtrue(con, "skip_validation")) {
		struct tref pk = rangevar(k, J(con, "pktable"));
		enum size ps = size_of(k, pk.facts);
		char *qp = qname(&pk);

		add(k, "DH204", lock_sev(s > ps ? s : ps),
		    "Add it NOT VALID, then VALIDATE CONSTRAINT in the next "
		    "migration (`prisma migrate dev --create-only`, then edit "
		    "the SQL).",
		    "the foreign key on %s (%s) to %s is checked against every "
		    "row while both tables are locked against writes (SHARE "
		    "ROW EXCLUSIVE)",
		    q, sz, qp);
		free(qp);
	} else if (is(ct, "CONSTR_CHECK") && !jtrue(con, "skip_validation")) {
		add(k, "DH204", lock_sev(s),
		    "Add it NOT VALID, then VALIDATE CONSTRAINT in the next "
		    "migration.",
		    "the CHECK constraint on %s (%s) is checked against every "
		    "row under an ACCESS EXCLUSIVE lock",
		    q, sz);
	} else if ((is(ct, "CONSTR_UNIQUE") || is(ct, "CONSTR_PRIMARY")) &&
		   !jstr(con, "indexname")) {
		add(k, "DH204", lock_sev(s),
		    "CREATE UNIQUE INDEX CONCURRENTLY in its own migration, "
		    "then ADD CONSTRAINT ... USING INDEX.",
		    "the %s constraint on %s (%s) builds its index under an "
		    "ACCESS EXCLUSIVE lock",
		    is(ct, "CONSTR_UNIQUE") ? "UNIQUE" : "PRIMARY KEY", q, sz);
	} else if (is(ct, "CONSTR_EXCLUSION")) {
		add(k, "DH204", lock_sev(s),
		    "Add it outside the deploy, at a quiet time: an exclusion "
		    "constraint has no NOT VALID and no USING INDEX.",
		    "the EXCLUDE constraint on %s (%s) builds its index and "
		    "checks every row under an ACCESS EXCLUSIVE lock",
		    q, sz);
	}
	free(q);
}

/* VALIDATE CONSTRAINT of a constraint this file added NOT VALID: the
 * ADD's lock is still held while VALIDATE scans. */
static void validate(struct dbh_safety_state *k, const struct tref *t,
		     const char *name)
{
	char sz[64], *q;

	for (size_t i = 0; name && i < k->nnotvalid; i++) {
		if (k->notvalid[i].table != t->req ||
		    strcmp(k->notvalid[i].name, name) != 0)
			continue;
		q = qname(t);
		size_text(k, t->facts, sz, sizeof(sz));
		add(k, "DH204", lock_sev(size_of(k, t->facts)),
		    "Move VALIDATE CONSTRAINT to the next migration: NOT VALID "
		    "only helps when the validation runs in a transaction of "
		    "its own.",
		    "constraint \"%s\" is added NOT VALID and validated in the "
		    "same migration: the ADD's lock on %s (%s) is held while "
		    "every row is checked",
		    name, q, sz);
		free(q);
		return;
	}
}

static void drop_column(struct dbh_safety_state *k, const struct tref *t,
			const cJSON *cmd)
{
	const char *col = jstr(cmd, "name");
	struct drop *d;

	if (t->facts && col && !column_facts(t, col) &&
	    !jtrue(cmd, "missing_ok")) {
		char *q = qname(t), *qc = qcol(col);

		add(k, "DH301", DBH_SEV_ERROR,
		    "Check which migrations the database has (`dbhook status`) "
		    "and whether someone changed it by hand.",
		    "column %s does not exist in %s: this migration will fail "
		    "(42703)",
		    qc, q);
		free(q);
		free(qc);
		return;
	}
	if (k->ndrops >= 32 || !col)
		return;
	/* Judged at the end of the file: an ADD on the same table makes it
	 * DH104. */
	d = &k->drops[k->ndrops++];
	d->table = t->req;
	d->column = col;
	d->st = k->st;
	d->nids = k->nids;
	memcpy(d->ids, k->ids, sizeof(d->ids));
	memcpy(d->reason, k->reason, sizeof(d->reason));
}

static void alter_table(struct dbh_safety_state *k, const cJSON *s)
{
	struct tref t = rangevar(k, J(s, "relation"));
	const cJSON *c;
	int strong = 0;

	if (!is(jstr(s, "objtype"), "OBJECT_TABLE") || t.created) {
		/* New in this batch: lock rules do not apply. */
		return;
	}
	if (missing(k, &t)) {
		char *q = qname(&t);

		if (!jtrue(s, "missing_ok"))
			add(k, "DH301", DBH_SEV_ERROR,
			    "Check which migrations the database has (`dbhook "
			    "status`) and whether the table was renamed or "
			    "dropped by hand.",
			    "table %s does not exist in the database: this "
			    "migration will fail (42P01)",
			    q);
		free(q);
		return;
	}
	first_touch(k, &t);
	cJSON_ArrayForEach(c, J(s, "cmds"))
	{
		const cJSON *cmd = J(c, "AlterTableCmd");
		const char *sub = jstr(cmd, "subtype");
		const cJSON *def = J(cmd, "def");

		if (!is(sub, "AT_ValidateConstraint"))
			strong = 1;
		if (is(sub, "AT_AddColumn"))
			add_column(k, &t, cmd, J(def, "ColumnDef"));
		else if (is(sub, "AT_DropColumn"))
			drop_column(k, &t, cmd);
		else if (is(sub, "AT_SetNotNull"))
			set_not_null(k, &t, jstr(cmd, "name"));
		else if (is(sub, "AT_DropNotNull")) {
			char *q = qname(&t), *qc = qcol(jstr(cmd, "name"));

			add(k, "DH106", DBH_SEV_WARNING,
			    "Make the field optional in schema.prisma in the "
			    "same release, and write no NULLs until no running "
			    "deployment reads the column as required.",
			    "%s of %s may now hold NULLs: the deployment still "
			    "serving traffic reads it as required, and its "
			    "Prisma Client fails on a NULL (P2032)",
			    qc, q);
			free(q);
			free(qc);
		} else if (is(sub, "AT_AlterColumnType"))
			alter_type(k, &t, jstr(cmd, "name"),
				   J(def, "ColumnDef"));
		else if (is(sub, "AT_AddConstraint"))
			add_constraint(k, &t, J(def, "Constraint"));
		else if (is(sub, "AT_ValidateConstraint"))
			validate(k, &t, jstr(cmd, "name"));
		else if (is(sub, "AT_SetLogged") || is(sub, "AT_SetUnLogged") ||
			 is(sub, "AT_SetTableSpace")) {
			char sz[64], *q = qname(&t);

			size_text(k, t.facts, sz, sizeof(sz));
			add(k, "DH202", lock_sev(size_of(k, t.facts)),
			    "Do it outside the deploy, at a quiet time.",
			    "%s rewrites %s (%s) under an ACCESS EXCLUSIVE "
			    "lock",
			    is(sub, "AT_SetTableSpace") ? "SET TABLESPACE"
							: "SET LOGGED/UNLOGGED",
			    q, sz);
			free(q);
		}
	}
	if (strong)
		strong_lock(k, &t);
}

static void create_index(struct dbh_safety_state *k, const cJSON *s,
			 size_t nstmts)
{
	struct tref t = rangevar(k, J(s, "relation"));
	char sz[64], *q;

	if (jstr(s, "idxname"))
		created_add(k, t.schema, jstr(s, "idxname"));
	if (jtrue(s, "concurrent")) {
		if (nstmts > 1)
			add(k, "DH302", DBH_SEV_ERROR,
			    "Put CREATE INDEX CONCURRENTLY alone in its own "
			    "migration (one statement, nothing else).",
			    "CREATE INDEX CONCURRENTLY cannot run inside a "
			    "transaction, and a file of several statements is "
			    "one transaction: this migration will fail "
			    "(25001)");
		return;
	}
	if (!takes_lock(k, &t))
		return;
	q = qname(&t);
	size_text(k, t.facts, sz, sizeof(sz));
	add(k, "DH201", lock_sev(size_of(k, t.facts)),
	    "Use CREATE INDEX CONCURRENTLY, alone in its own migration "
	    "(`prisma migrate dev --create-only`, then edit the SQL).",
	    "CREATE %sINDEX on %s (%s) blocks every write to it until the "
	    "index is built",
	    jtrue(s, "unique") ? "UNIQUE " : "", q, sz);
	free(q);
}

static void drop(struct dbh_safety_state *k, const cJSON *s, size_t nstmts)
{
	const char *type = jstr(s, "removeType");
	const cJSON *o;

	if (is(type, "OBJECT_INDEX") && jtrue(s, "concurrent")) {
		if (nstmts > 1)
			add(k, "DH302", DBH_SEV_ERROR,
			    "Put DROP INDEX CONCURRENTLY alone in its own "
			    "migration.",
			    "DROP INDEX CONCURRENTLY cannot run inside a "
			    "transaction, and a file of several statements is "
			    "one transaction: this migration will fail "
			    "(25001)");
		return;
	}
	cJSON_ArrayForEach(o, J(s, "objects"))
	{
		const cJSON *names = J(J(o, "List"), "items");
		const char *name = last_name(names), *schema = schema_of(names);

		if (!name)
			continue;
		if (is(type, "OBJECT_TABLE")) {
			struct tref t = table(k, schema, name);
			char sz[64], *q = qname(&t);
			int n;

			if (t.created) {
				free(q);
				continue;
			}
			if (missing(k, &t)) {
				if (!jtrue(s, "missing_ok"))
					add(k, "DH301", DBH_SEV_ERROR,
					    "Check which migrations the "
					    "database "
					    "has (`dbhook status`).",
					    "table %s does not exist: this "
					    "migration will fail (42P01)",
					    q);
				free(q);
				continue;
			}
			first_touch(k, &t);
			size_text(k, t.facts, sz, sizeof(sz));
			n = cJSON_GetArraySize(J(t.facts, "referenced_by")) +
			    cJSON_GetArraySize(J(t.facts, "views"));
			add(k, "DH102", DBH_SEV_ERROR,
			    "Mark the model @@ignore (or remove it from the "
			    "code) and deploy that first; drop the table in a "
			    "later deploy, once no running deployment uses it.",
			    "DROP TABLE %s (%s%s): the deployment still "
			    "serving "
			    "traffic queries it, and its data is gone",
			    q, sz,
			    n ? ", with foreign keys or views on it" : "");
			free(q);
		} else if (is(type, "OBJECT_INDEX")) {
			size_t i =
			    dbh_facts_want_index(k->w->req, schema, name);
			const cJSON *owner = answer(k, "indexes", i);
			char sz[64];

			if (created_find(k, schema, name))
				continue;
			if (!owner && !k->w->facts) {
				add(k, "DH201", DBH_SEV_WARNING,
				    "Use DROP INDEX CONCURRENTLY, alone in its "
				    "own "
				    "migration.",
				    "DROP INDEX \"%s\" locks its table against "
				    "reads "
				    "and writes (ACCESS EXCLUSIVE; size "
				    "unknown)",
				    name);
				continue;
			}
			if (!owner) {
				if (!jtrue(s, "missing_ok"))
					add(k, "DH301", DBH_SEV_ERROR,
					    "Check which migrations the "
					    "database "
					    "has (`dbhook status`), or write "
					    "DROP "
					    "INDEX IF EXISTS.",
					    "index \"%s\" does not exist: this "
					    "migration will fail (42704)",
					    name);
				continue;
			}
			size_text(k, owner, sz, sizeof(sz));
			add(k, "DH201", lock_sev(size_of(k, owner)),
			    "Use DROP INDEX CONCURRENTLY, alone in its own "
			    "migration.",
			    "DROP INDEX \"%s\" locks its table \"%s\" (%s) "
			    "against reads and writes (ACCESS EXCLUSIVE)",
			    name, jstr(owner, "table"), sz);
		}
	}
}

static void rename_stmt(struct dbh_safety_state *k, const cJSON *s)
{
	const char *type = jstr(s, "renameType");

	if (is(type, "OBJECT_COLUMN") || is(type, "OBJECT_TABLE")) {
		struct tref t = rangevar(k, J(s, "relation"));
		char *q = qname(&t);

		if (takes_lock(k, &t)) {
			if (is(type, "OBJECT_COLUMN")) {
				char *qc = qcol(jstr(s, "subname"));

				add(k, "DH103", DBH_SEV_ERROR,
				    "Keep the column's name and rename the "
				    "field in schema.prisma only, with "
				    "@map(\"old_name\"): no SQL at all.",
				    "renaming column %s of %s to \"%s\": the "
				    "deployment still serving traffic uses the "
				    "old name, and its queries on %s fail",
				    qc, q, jstr(s, "newname"), q);
				free(qc);
			} else {
				add(k, "DH103", DBH_SEV_ERROR,
				    "Keep the table's name and rename the "
				    "model "
				    "only, with @@map(\"old_name\"): no SQL at "
				    "all.",
				    "renaming table %s to \"%s\": the "
				    "deployment "
				    "still serving traffic uses the old name, "
				    "and its queries on it fail",
				    q, jstr(s, "newname"));
			}
		}
		free(q);
	} else if (is(type, "OBJECT_TYPE")) {
		const cJSON *obj = J(J(s, "object"), "List");
		const char *name = last_name(J(obj, "items"));

		if (name && !created_find(k, NULL, name))
			add(k, "DH108", DBH_SEV_ERROR,
			    "Only add enum values (ALTER TYPE ... ADD VALUE), "
			    "one deploy before the code uses them; to remove a "
			    "value, stop writing it first and migrate its "
			    "rows.",
			    "renaming type \"%s\" to recreate it (how Prisma "
			    "removes an enum value) rewrites every table using "
			    "it, and the running deployment fails on rows with "
			    "values it does not know",
			    name);
	}
}

static void alter_enum(struct dbh_safety_state *k, const cJSON *s)
{
	const char *name = last_name(J(s, "typeName"));

	if (!name || created_find(k, NULL, name))
		return;
	if (jstr(s, "oldVal"))
		add(k, "DH108", DBH_SEV_ERROR,
		    "Add the new value, move the rows to it, and stop using "
		    "the old one; rename nothing the running deployment reads.",
		    "renaming value '%s' of enum \"%s\": the deployment still "
		    "serving traffic writes and reads the old name, and fails",
		    jstr(s, "oldVal"), name);
	else if (jstr(s, "newVal"))
		add(k, "DH108", DBH_SEV_WARNING,
		    "Add the value one deploy before any code writes it.",
		    "new value '%s' of enum \"%s\": the deployment still "
		    "serving traffic cannot read rows that hold it (its Prisma "
		    "Client fails on an unknown enum value)",
		    jstr(s, "newVal"), name);
}

/* DH206 for one table of TRUNCATE, LOCK, CLUSTER, VACUUM FULL or
 * REINDEX TABLE (`rv` a RangeVar, bare or wrapped). */
static void maintenance(struct dbh_safety_state *k, const char *what,
			const cJSON *rv)
{
	struct tref t = rangevar(k, rv);
	char sz[64], *q;

	if (!takes_lock(k, &t))
		return;
	q = qname(&t);
	size_text(k, t.facts, sz, sizeof(sz));
	add(k, "DH206", DBH_SEV_ERROR,
	    is(what, "TRUNCATE")
		? "Delete the rows on purpose, outside the deploy."
		: "Run it outside the deploy, at a quiet time (or not at all: "
		  "autovacuum and REINDEX CONCURRENTLY exist).",
	    "%s %s (%s) holds an ACCESS EXCLUSIVE lock for as long as it "
	    "runs%s",
	    what, q, sz, is(what, "TRUNCATE") ? ", and deletes every row" : "");
	free(q);
}

/* maintenance() for each table of a list. */
static void maintenance_each(struct dbh_safety_state *k, const char *what,
			     const cJSON *rels)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, rels)
	{
		maintenance(k, what,
			    J(r, "VacuumRelation")
				? J(J(r, "VacuumRelation"), "relation")
				: r);
	}
}

/* REINDEX INDEX: ACCESS EXCLUSIVE on the index, SHARE on its table. */
static void reindex_index(struct dbh_safety_state *k, const cJSON *rv)
{
	const char *name = jstr(rv, "relname"),
		   *schema = jstr(rv, "schemaname");
	size_t i;
	const cJSON *owner;
	char sz[64];

	if (!name || created_find(k, schema, name))
		return;
	i = dbh_facts_want_index(k->w->req, schema, name);
	owner = answer(k, "indexes", i);
	if (k->w->facts && !owner)
		return; /* not an index we know: the server will say */
	size_text(k, owner, sz, sizeof(sz));
	add(k, "DH206", DBH_SEV_ERROR,
	    "Use REINDEX INDEX CONCURRENTLY, outside the deploy.",
	    "REINDEX INDEX \"%s\" blocks writes to its table%s%s%s (%s) and "
	    "every query using the index for as long as it runs",
	    name, owner ? " \"" : "", owner ? jstr(owner, "table") : "",
	    owner ? "\"" : "", sz);
}

static int has_option(const cJSON *opts, const char *name)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, opts)
	{
		if (is(jstr(J(o, "DefElem"), "defname"), name))
			return 1;
	}
	return 0;
}

static void backfill(struct dbh_safety_state *k, const cJSON *s)
{
	struct tref t = rangevar(k, J(s, "relation"));

	if (t.created || missing(k, &t))
		return;
	first_touch(k, &t);
	if (k->ddl) {
		char sz[64], *q = qname(&t);

		size_text(k, t.facts, sz, sizeof(sz));
		add(k, "DH205", lock_sev(size_of(k, t.facts)),
		    "Split it: the DDL in one migration, the data change in "
		    "batches outside the deploy (or in its own migration).",
		    "a data change on %s (%s) in the same migration as DDL on "
		    "an existing table: the DDL's lock is held until the whole "
		    "file commits",
		    q, sz);
		free(q);
	}
}

static void create(struct dbh_safety_state *k, const cJSON *rv,
		   int if_not_exists)
{
	struct tref t = rangevar(k, rv);

	if (t.facts && !t.created && !if_not_exists) {
		char *q = qname(&t);

		add(k, "DH301", DBH_SEV_ERROR,
		    "Check which migrations the database has (`dbhook "
		    "status`): it may have been created by hand (drift).",
		    "%s already exists in the database: this migration will "
		    "fail (42P07)",
		    q);
		free(q);
	}
	created_add(k, t.schema, t.name);
}

static void statement(struct dbh_safety_state *k, const struct dbh_pstmt *st,
		      size_t nstmts)
{
	const cJSON *s = st->node ? J(st->node, st->kind) : NULL;
	const char *kd = st->kind;

	if (!st->node) {
		add(k, "DH402", DBH_SEV_INFO,
		    "Nothing to do: it is applied as written. Review it by "
		    "hand.",
		    "not analysed: PostgreSQL 15's grammar does not read this "
		    "statement (%s); newer syntax?",
		    st->error);
		return;
	}
	if (is(kd, "CreateStmt"))
		create(k, J(s, "relation"), jtrue(s, "if_not_exists"));
	else if (is(kd, "CreateTableAsStmt"))
		create(k, J(J(s, "into"), "rel"), jtrue(s, "if_not_exists"));
	else if (is(kd, "CreateEnumStmt")) {
		const char *n = last_name(J(s, "typeName"));

		if (n)
			created_add(k, NULL, n);
	} else if (is(kd, "AlterTableStmt"))
		alter_table(k, s);
	else if (is(kd, "IndexStmt"))
		create_index(k, s, nstmts);
	else if (is(kd, "DropStmt"))
		drop(k, s, nstmts);
	else if (is(kd, "RenameStmt"))
		rename_stmt(k, s);
	else if (is(kd, "AlterEnumStmt"))
		alter_enum(k, s);
	else if (is(kd, "TruncateStmt"))
		maintenance_each(k, "TRUNCATE", J(s, "relations"));
	else if (is(kd, "LockStmt"))
		maintenance_each(k, "LOCK TABLE", J(s, "relations"));
	else if (is(kd, "ClusterStmt") && J(s, "relation"))
		maintenance(k, "CLUSTER", J(s, "relation"));
	else if (is(kd, "VacuumStmt") && has_option(J(s, "options"), "full"))
		maintenance_each(k, "VACUUM FULL", J(s, "rels"));
	else if (is(kd, "ReindexStmt") &&
		 is(jstr(s, "kind"), "REINDEX_OBJECT_INDEX") &&
		 !has_option(J(s, "params"), "concurrently"))
		reindex_index(k, J(s, "relation"));
	else if (is(kd, "ReindexStmt") && J(s, "relation") &&
		 !has_option(J(s, "params"), "concurrently"))
		maintenance(k, "REINDEX", J(s, "relation"));
	else if (is(kd, "UpdateStmt") || is(kd, "DeleteStmt"))
		backfill(k, s);
}

/* The end of a file: drops judged (DH101, or DH104 beside an ADD on the
 * same table), and locks on several tables (DH205). */
static void end_of_file(struct dbh_safety_state *k)
{
	const struct dbh_pstmt *keep = k->st;

	for (size_t i = 0; i < k->ndrops; i++) {
		struct drop *d = &k->drops[i];
		struct tref t = {k->w->req->t[d->table].schema,
				 k->w->req->t[d->table].name, d->table,
				 table_facts(k, d->table), 0};
		int renamed = 0;
		char sz[64], *q = qname(&t), *qc = qcol(d->column);

		for (size_t j = 0; j < k->nadded; j++)
			renamed |= k->added[j] == d->table;
		size_text(k, t.facts, sz, sizeof(sz));
		k->st = d->st;
		k->nids = d->nids;
		memcpy(k->ids, d->ids, sizeof(d->ids));
		memcpy(k->reason, d->reason, sizeof(d->reason));
		if (renamed)
			add(k, "DH104", DBH_SEV_ERROR,
			    "If the field was renamed, keep the column: rename "
			    "the field in schema.prisma with "
			    "@map(\"old_name\") "
			    "and delete this migration. Otherwise drop the old "
			    "column in a later deploy.",
			    "column %s of %s is dropped and another added in "
			    "the "
			    "same migration: this is how Prisma writes a "
			    "renamed "
			    "field, and it discards the column's data (%s)",
			    qc, q, sz);
		else
			add(k, "DH101", DBH_SEV_ERROR,
			    "Make the field optional and mark it @ignore in "
			    "schema.prisma, deploy that, and drop the column "
			    "in "
			    "a later deploy.",
			    "dropping column %s of %s (%s): the deployment "
			    "still serving traffic names it in every query on "
			    "the model, which fail, and its data is gone",
			    qc, q, sz);
		free(q);
		free(qc);
	}
	k->nids = 0;
	if (k->nstrong >= 2 && k->pileup_line) {
		struct dbh_pstmt at = *keep;
		enum size worst = SZ_SMALL;

		for (size_t i = 0; i < k->nstrong; i++) {
			enum size s = size_of(k, table_facts(k, k->strong[i]));

			if (s == SZ_UNKNOWN || s > worst)
				worst = s == SZ_UNKNOWN ? SZ_MEDIUM : s;
		}
		at.line = k->pileup_line;
		k->st = &at;
		add(k, "DH205", lock_sev(worst),
		    "Split it: one migration per table, so each lock is held "
		    "for one change only.",
		    "this migration locks %zu existing tables, and holds every "
		    "lock until the whole file commits",
		    k->nstrong);
	}
	k->st = keep;
	k->ndrops = k->nadded = k->nstrong = k->nnotvalid = 0;
	k->pileup_line = 0;
	k->ddl = NULL;
}

void dbh_safety_walk_file(struct dbh_safety_walk *w, size_t mi,
			  const struct dbh_safety_mig *mig)
{
	struct dbh_safety_state *k = w->state;
	const struct dbh_sqlparse *p = &mig->p;

	if (!k) {
		k = w->state = dbh_xcalloc(1, sizeof(*k));
		k->w = w;
	}
	k->mi = mi;
	k->mig = mig;
	k->nfids = 0;
	for (size_t i = 0; i < p->n; i++) {
		k->st = &p->s[i];
		directives(k, k->st, i == 0);
		if (i == 0) /* once, at the batch's first statement */
			long_xacts(k);
		statement(k, k->st, p->n);
	}
	if (p->n)
		end_of_file(k);
	k->st = NULL; /* the file's tree is released after this */
	k->mig = NULL;
}

void dbh_safety_walk_end(struct dbh_safety_walk *w)
{
	struct dbh_safety_state *k = w->state;

	if (!k)
		return;
	for (size_t i = 0; i < k->ncreated; i++)
		free(k->created[i]);
	free(k->created);
	free(k->seen);
	free(k);
	w->state = NULL;
}
