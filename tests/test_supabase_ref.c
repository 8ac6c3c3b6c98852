/* test_supabase_ref.c - project refs from Supabase host and user names.
 *
 * Table driven: each row is one TAP line.
 */
#include "dbhook/supabase.h"

#include <stdio.h>
#include <string.h>

#include "tap.h"

#define REF "abcdefghijklmnopqrst" /* 20 lower-case letters, as Supabase */

struct rcase {
	const char *name;
	const char *host, *user;
	const char *ref; /* expected ref, or NULL for "not Supabase" */
};

static const struct rcase cases[] = {
    {"direct host", "db." REF ".supabase.co", "postgres", REF},
    {"dedicated pooler (same host)", "db." REF ".supabase.co", NULL, REF},
    {"project host", REF ".supabase.co", "postgres", REF},
    {"shared pooler, postgres.<ref>", "aws-0-eu-central-1.pooler.supabase.com",
     "postgres." REF, REF},
    {"shared pooler, aws-1 cluster", "aws-1-us-east-1.pooler.supabase.com",
     "postgres." REF, REF},
    {"shared pooler, other role", "aws-0-eu-west-2.pooler.supabase.com",
     "prisma." REF, REF},
    {"shared pooler, dotted role", "aws-0-eu-west-2.pooler.supabase.com",
     "my.role." REF, REF},
    {"shared pooler, bare user", "aws-0-eu-west-2.pooler.supabase.com",
     "postgres", NULL},
    {"shared pooler, no user", "aws-0-eu-west-2.pooler.supabase.com", NULL,
     NULL},
    {"shared pooler, empty ref", "aws-0-eu-west-2.pooler.supabase.com",
     "postgres.", NULL},
    {"shared pooler, empty role", "aws-0-eu-west-2.pooler.supabase.com",
     "." REF, NULL},
    {"shared pooler, upper-case ref in the user",
     "aws-0-eu-west-2.pooler.supabase.com", "postgres.ABCDEFGHIJKLMNOPQRST",
     NULL},
    {"shared pooler, ref with a dash", "aws-0-eu-west-2.pooler.supabase.com",
     "postgres.abc-def", NULL},
    {"bare pooler domain", "pooler.supabase.com", "postgres." REF, NULL},
    {"empty label before the pooler domain", ".pooler.supabase.com",
     "postgres." REF, NULL},
    {"upper-case host", "DB.ABCDEFGHIJKLMNOPQRST.SUPABASE.CO", "postgres", REF},
    {"mixed-case pooler host", "AWS-0-EU-West-2.Pooler.Supabase.Com",
     "postgres." REF, REF},
    {"trailing dot", "db." REF ".supabase.co.", "postgres", REF},
    {"trailing dot on the pooler", "aws-0-x.pooler.supabase.com.",
     "postgres." REF, REF},
    {"digits in the ref", "db.abc123def456.supabase.co", "postgres",
     "abc123def456"},
    {"one-character ref", "x.supabase.co", NULL, "x"},
    {"40-character ref",
     "db.aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd.supabase.co", NULL,
     "aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd"},
    {"41-character ref",
     "db.aaaaaaaaaabbbbbbbbbbccccccccccddddddddddx.supabase.co", NULL, NULL},
    {"ref with a dash", "db.abc-def.supabase.co", "postgres", NULL},
    {"ref with an underscore", "db.abc_def.supabase.co", "postgres", NULL},
    {"extra label", "x.db." REF ".supabase.co", "postgres", NULL},
    {"bare supabase.co", "supabase.co", "postgres", NULL},
    {"empty ref before supabase.co", ".supabase.co", "postgres", NULL},
    {"db. with nothing after", "db..supabase.co", "postgres", NULL},
    {"other domain", "example.com", "postgres." REF, NULL},
    {"look-alike suffix", "db." REF ".supabase.co.evil.com", "postgres", NULL},
    {"look-alike pooler", "aws-0-x.pooler.supabase.com.evil.com",
     "postgres." REF, NULL},
    {"no dot before supabase.co", "db" REF "supabase.co", "postgres", NULL},
    {"evilsupabase.co", REF ".evilsupabase.co", "postgres", NULL},
    {"supabase.com is not supabase.co", "db." REF ".supabase.com", "postgres",
     NULL},
    {"IPv6 literal", "2001:db8::1", "postgres." REF, NULL},
    {"bracketed IPv6 literal", "[2001:db8::1]", "postgres." REF, NULL},
    {"IPv4 literal", "192.0.2.1", "postgres." REF, NULL},
    {"localhost", "localhost", "postgres." REF, NULL},
    {"Unix socket directory", "/var/run/postgresql", "postgres." REF, NULL},
    {"empty host", "", "postgres." REF, NULL},
    {"NULL host", NULL, "postgres." REF, NULL},
    {"space in host", "db." REF ".supabase.co ", "postgres", NULL},
};

int main(void)
{
	size_t i;
	char ref[DBH_SUPABASE_REF_MAX + 1];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rcase *c = &cases[i];
		int got = dbh_suphost_ref(c->host, c->user, ref, sizeof(ref));

		if (c->ref) {
			if (!got) {
				ok(0, "%s: recognised", c->name);
				continue;
			}
			is_str(ref, c->ref, c->name);
		} else {
			ok(!got && ref[0] == '\0', "%s: not Supabase", c->name);
			if (got)
				printf("#   got ref '%s'\n", ref);
		}
	}

	/* A buffer too small for the ref is a refusal, not a truncation. */
	ok(dbh_suphost_ref("db." REF ".supabase.co", NULL, ref, 5) == 0 &&
	       ref[0] == '\0',
	   "a too-small buffer: refused, empty");
	ok(dbh_suphost_ref("db." REF ".supabase.co", NULL, ref, 21) == 1 &&
	       strcmp(ref, REF) == 0,
	   "a buffer of exactly the ref's size: accepted");
	ok(dbh_suphost_ref("db." REF ".supabase.co", NULL, ref, 0) == 0,
	   "a zero-size buffer: refused");
	return tap_done();
}
