/* plan.c - see plan.h. */
#include "dbhook/plan.h"

#include <stdlib.h>
#include <string.h>

#include "dbhook/alloc.h"
#include "dbhook/checksum.h"

/* The entries array is sized once (every folder migration and every
 * history row at most), so the no-op path costs one allocation. */
static void add(struct dbh_plan *p, const char *name, enum dbh_state s,
		struct dbh_migration *m, const struct dbh_hrow *row)
{
	p->e[p->n++] = (struct dbh_plan_entry){name, s, m, row};
	p->count[s]++;
}

/* An applied migration whose file changed since, or is gone. */
static int modified(struct dbh_migration *m, const struct dbh_hrow *row)
{
	if (dbh_migration_read(m) != 0)
		return !m->sql; /* migration.sql is gone */
	return !dbh_checksum_matches(row->checksum, m->sql, m->len,
				     m->checksum);
}

/* Whether `name` is already an entry (a name with several rows). */
static int listed(const struct dbh_plan *p, size_t from, const char *name)
{
	for (size_t i = from; i < p->n; i++)
		if (strcmp(p->e[i].name, name) == 0)
			return 1;
	return 0;
}

static const struct dbh_hrow *oldest_unfinished(const struct dbh_history *h)
{
	size_t n;
	const struct dbh_hrow **u = dbh_history_unfinished(h, &n);
	const struct dbh_hrow *r = n ? u[0] : NULL;

	free(u);
	return r;
}

void dbh_plan_make(struct dbh_migdir *md, const struct dbh_history *h,
		   int checksums, struct dbh_plan *p)
{
	size_t local;

	memset(p, 0, sizeof(*p));
	p->e = dbh_xmalloc((md->n + h->n + 1) * sizeof(*p->e));
	for (size_t i = 0; i < md->n; i++) {
		struct dbh_migration *m = &md->m[i];
		const struct dbh_hrow *row;
		enum dbh_state s = dbh_history_state(h, m->name, &row);

		if (s == DBH_APPLIED && checksums && modified(m, row))
			s = DBH_MODIFIED;
		add(p, m->name, s, m, row);
	}
	local = p->n;
	p->blocking = oldest_unfinished(h);
	for (size_t i = 0; i < h->n; i++) {
		const struct dbh_hrow *r = &h->rows[i], *row;

		if (r->rolled_back_at || dbh_migdir_find(md, r->name) ||
		    listed(p, local, r->name))
			continue;
		/* Applied here and absent from the folder; a failed row whose
		 * folder is gone still blocks deploys. */
		if (dbh_history_state(h, r->name, &row) == DBH_APPLIED)
			add(p, r->name, DBH_MISSING, NULL, row);
		else
			add(p, r->name, DBH_FAILED, NULL, row);
	}
	p->to_apply = p->count[DBH_PENDING] + p->count[DBH_ROLLED_BACK];
	p->applied = p->count[DBH_APPLIED] + p->count[DBH_MODIFIED] +
		     p->count[DBH_MISSING];
	p->shared = p->applied - p->count[DBH_MISSING];
	for (size_t i = local; i < p->n; i++)
		if (p->e[i].state == DBH_MISSING &&
		    (!p->first_missing ||
		     strcmp(p->e[i].name, p->first_missing) < 0))
			p->first_missing = p->e[i].name;
}

void dbh_plan_release(struct dbh_plan *p)
{
	free(p->e);
	memset(p, 0, sizeof(*p));
}

int dbh_plan_applies(const struct dbh_plan_entry *e)
{
	return e->state == DBH_PENDING || e->state == DBH_ROLLED_BACK;
}

struct dbh_migration **dbh_plan_pending(const struct dbh_plan *p, size_t *n)
{
	struct dbh_migration **ms = dbh_xcalloc(p->to_apply + 1, sizeof(*ms));

	*n = 0;
	for (size_t i = 0; i < p->n; i++)
		if (dbh_plan_applies(&p->e[i]))
			ms[(*n)++] = p->e[i].m;
	return ms;
}

size_t dbh_plan_missing(const struct dbh_plan *p)
{
	return p->count[DBH_MISSING];
}
