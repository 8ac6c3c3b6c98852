/* vault.c - the vault file's text: parsing, formatting, the profiles.
 *
 * See vault.h for the format. Parsing is strict (one spelling per file),
 * so a changed byte is either a parse error or an authentication failure
 * (vaultcrypt.c), never a silently different result.
 */
#include "dbhook/vault.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dbhook/alloc.h"

#define LINE_MAX_LEN 16384
#define COMMENT                                                                \
	"# dbhook encrypted profiles (dbhook setup / dbhook run). Do not "     \
	"edit: see \"Vault file format\" in dbhook's README."
#define REDO_HINT                                                              \
	"Restore the file from a backup, or remove it and store each "         \
	"profile again with `dbhook setup`."

int dbh_vault_valid_name(const char *name)
{
	size_t n = 0;

	if (!name || !*name || *name == '-' || *name == '.')
		return 0;
	for (; name[n]; n++) {
		char c = name[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return 0;
	}
	return n <= DBH_VAULT_NAME_MAX;
}

/* ---- base64, canonical only ---- */

static size_t b64_len(size_t n)
{
	return 4 * ((n + 2) / 3);
}

/* Encodes into a malloc'd string. */
static char *b64_encode(const unsigned char *in, size_t n)
{
	char *out = dbh_xmalloc(b64_len(n) + 1);

	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return out;
}

/* Decodes `s` (slen characters) into a malloc'd buffer. Only the exact
 * text EVP_EncodeBlock would write is accepted. Returns 0 or -1. */
static int b64_decode(const char *s, size_t slen, unsigned char **out,
		      size_t *outlen)
{
	unsigned char *buf;
	char *again;
	size_t pad = 0;
	int n, same;

	*out = NULL;
	if (slen == 0 || slen % 4 || slen > LINE_MAX_LEN)
		return -1;
	for (size_t i = 0; i < slen; i++) {
		char c = s[i];

		if (c == '=' && i >= slen - 2) {
			pad++;
			continue;
		}
		if (pad || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return -1;
	}
	buf = dbh_xmalloc(slen / 4 * 3 + 1);
	n = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)slen);
	if (n < 0 || (size_t)n < pad) {
		free(buf);
		return -1;
	}
	*outlen = (size_t)n - pad;
	again = b64_encode(buf, *outlen);
	same = strlen(again) == slen && memcmp(again, s, slen) == 0;
	free(again);
	if (!same) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

/* ---- the text format ---- */

void dbh_vault_release(struct dbh_vault *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->p[i].ct);
	free(v->p);
	memset(v, 0, sizeof(*v));
}

struct dbh_vault_profile *dbh_vault_find(const struct dbh_vault *v,
					 const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->p[i].name, name) == 0)
			return &v->p[i];
	return NULL;
}

int dbh_vault_remove(struct dbh_vault *v, const char *name)
{
	struct dbh_vault_profile *p = dbh_vault_find(v, name);
	size_t i;

	if (!p)
		return -1;
	i = (size_t)(p - v->p);
	free(p->ct);
	memmove(&v->p[i], &v->p[i + 1], (v->n - i - 1) * sizeof(*p));
	v->n--;
	return 0;
}

/* A decimal number without sign or leading zeros, at most `max`. */
static int parse_num(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/* The value of token `tok` when it reads "<key>=<value>", else NULL. */
static const char *kv(const char *tok, const char *key)
{
	size_t n = strlen(key);

	if (strncmp(tok, key, n) == 0 && tok[n] == '=')
		return tok + n + 1;
	return NULL;
}

/* Decodes a fixed-size field. */
static int fixed_field(const char *tok, const char *key, unsigned char *out,
		       size_t len)
{
	const char *val = kv(tok, key);
	unsigned char *buf;
	size_t n;

	if (!val || b64_decode(val, strlen(val), &buf, &n))
		return -1;
	if (n != len) {
		free(buf);
		return -1;
	}
	memcpy(out, buf, len);
	free(buf);
	return 0;
}

/* Parses one "profile ..." line (NUL-terminated, no newline) into `p`:
 * 10 fields for a version-1 record, 11 (stored= after the salt) for a
 * version-2 one. Returns NULL or what is wrong. */
static const char *parse_record(char *line, struct dbh_vault_profile *p)
{
	char *tok[12];
	size_t nt = 0, at;
	uint64_t n;
	const char *val;
	char *s = line;

	memset(p, 0, sizeof(*p));
	for (;;) {
		char *sp = strchr(s, ' ');

		if (nt == 12)
			return "too many fields";
		tok[nt++] = s;
		if (!sp)
			break;
		*sp = '\0';
		s = sp + 1;
	}
	if (nt != 10 && nt != 11)
		return "a profile line has 11 fields (10 without stored=)";
	p->version = nt == 11 ? 2 : 1;
	if (!dbh_vault_valid_name(tok[1]))
		return "invalid profile name";
	strcpy(p->name, tok[1]);
	if (strcmp(tok[2], "scrypt") != 0)
		return "unknown key derivation (only scrypt)";
	if (!(val = kv(tok[3], "N")) || parse_num(val, UINT64_C(1) << 62, &n) ||
	    n < 2 || (n & (n - 1)))
		return "bad scrypt N (a power of two)";
	p->kdf.N = n;
	if (!(val = kv(tok[4], "r")) || parse_num(val, 1u << 30, &n) || !n)
		return "bad scrypt r";
	p->kdf.r = (uint32_t)n;
	if (!(val = kv(tok[5], "p")) || parse_num(val, 1u << 30, &n) || !n)
		return "bad scrypt p";
	p->kdf.p = (uint32_t)n;
	if (fixed_field(tok[6], "salt", p->salt, sizeof(p->salt)))
		return "bad salt";
	at = 7;
	if (p->version == 2) {
		if (!(val = kv(tok[at++], "stored")) ||
		    parse_num(val, (uint64_t)DBH_VAULT_STORED_MAX, &n))
			return "bad stored time (seconds since 1970)";
		p->stored = (int64_t)n;
	}
	if (fixed_field(tok[at++], "nonce", p->nonce, sizeof(p->nonce)))
		return "bad nonce";
	if (!(val = kv(tok[at++], "ct")) ||
	    b64_decode(val, strlen(val), &p->ct, &p->ctlen))
		return "bad ciphertext";
	if (p->ctlen == 0 || p->ctlen > DBH_VAULT_SECRET_MAX) {
		free(p->ct);
		p->ct = NULL;
		return "bad ciphertext length";
	}
	if (fixed_field(tok[at], "tag", p->tag, sizeof(p->tag))) {
		free(p->ct);
		p->ct = NULL;
		return "bad tag";
	}
	return NULL;
}

static int damaged(struct dbh_error *err, const char *what, size_t lineno,
		   const char *why)
{
	dbh_error_set(err, DBH_EUSAGE,
		      "config file \"%s\" is damaged: line %zu: %s", what,
		      lineno, why);
	dbh_error_hint(err, REDO_HINT);
	return DBH_EUSAGE;
}

/* Parses the first line: "dbhook-vault <version>", into *version. */
static int parse_header(const char *line, const char *what,
			uint64_t *version_out, struct dbh_error *err)
{
	static const char magic[] = DBH_VAULT_MAGIC " ";
	uint64_t version;

	if (strncmp(line, magic, sizeof(magic) - 1) != 0 ||
	    parse_num(line + sizeof(magic) - 1, UINT32_MAX, &version)) {
		dbh_error_set(err, DBH_EUSAGE,
			      "\"%s\" is not a dbhook profile file (its first "
			      "line is not \"%s %d\")",
			      what, DBH_VAULT_MAGIC, DBH_VAULT_VERSION);
		dbh_error_hint(err, "Check --config, or " REDO_HINT);
		return DBH_EUSAGE;
	}
	if (version < DBH_VAULT_VERSION_MIN || version > DBH_VAULT_VERSION) {
		dbh_error_set(err, DBH_EUSAGE,
			      "config file \"%s\" has format version %" PRIu64
			      "; this dbhook reads versions %d and %d",
			      what, version, DBH_VAULT_VERSION_MIN,
			      DBH_VAULT_VERSION);
		dbh_error_hint(err, "Use the dbhook release that wrote the "
				    "file, or a newer one.");
		return DBH_EUSAGE;
	}
	*version_out = version;
	return 0;
}

int dbh_vault_parse(const char *buf, size_t len, const char *what,
		    struct dbh_vault *v, struct dbh_error *err)
{
	char *line = NULL;
	size_t pos = 0, lineno = 0;
	uint64_t header = 0;
	unsigned highest = DBH_VAULT_VERSION_MIN;
	int ended = 0, ret = 0;

	memset(v, 0, sizeof(*v));
	if (len > DBH_VAULT_FILE_MAX)
		return damaged(err, what, 0, "the file is larger than 1 MiB");
	if (memchr(buf, '\0', len))
		return damaged(err, what, 0, "the file holds a NUL byte");
	line = dbh_xmalloc(LINE_MAX_LEN + 1);
	while (pos < len && !ret) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		struct dbh_vault_profile rec;
		const char *why;

		lineno++;
		if (ll > LINE_MAX_LEN) {
			ret = damaged(err, what, lineno, "line too long");
			break;
		}
		memcpy(line, buf + pos, ll);
		line[ll] = '\0';
		pos += ll + (nl ? 1 : 0);
		if (lineno == 1) {
			ret = parse_header(line, what, &header, err);
			if (!ret && !nl)
				ret = damaged(err, what, lineno,
					      "the file ends in the middle of "
					      "a line (truncated?)");
			continue;
		}
		if (!nl) {
			ret = damaged(err, what, lineno,
				      "the file ends in the middle of a line "
				      "(truncated?)");
			break;
		}
		if (ended) {
			ret = damaged(err, what, lineno,
				      "text after the \"end\" line");
			break;
		}
		if (line[0] == '#')
			continue;
		if (strcmp(line, "end") == 0) {
			ended = 1;
			continue;
		}
		if (strncmp(line, "profile ", 8) != 0) {
			ret = damaged(err, what, lineno,
				      "expected a \"profile\" or \"end\" line");
			break;
		}
		why = parse_record(line, &rec);
		if (why) {
			ret = damaged(err, what, lineno, why);
			break;
		}
		if (rec.version > header) {
			free(rec.ct);
			ret = damaged(err, what, lineno,
				      "a version-2 profile (with stored=) in a "
				      "file of version 1");
			break;
		}
		if (rec.version > highest)
			highest = rec.version;
		if (dbh_vault_find(v, rec.name)) {
			free(rec.ct);
			ret = damaged(err, what, lineno,
				      "a second profile of the same name");
			break;
		}
		if (v->n >= DBH_VAULT_PROFILES_MAX) {
			free(rec.ct);
			ret = damaged(err, what, lineno, "too many profiles");
			break;
		}
		v->p = dbh_xrealloc(v->p, v->n + 1, sizeof(*v->p));
		v->p[v->n++] = rec;
	}
	free(line);
	if (!ret && lineno == 0) {
		dbh_error_set(err, DBH_EUSAGE,
			      "config file \"%s\" is empty (truncated?)", what);
		dbh_error_hint(err, REDO_HINT);
		ret = DBH_EUSAGE;
	} else if (!ret && !ended) {
		dbh_error_set(err, DBH_EUSAGE,
			      "config file \"%s\" is damaged: it ends before "
			      "its \"end\" line (truncated?)",
			      what);
		dbh_error_hint(err, REDO_HINT);
		ret = DBH_EUSAGE;
	} else if (!ret && header != highest) {
		/* The header is the highest version of the records, so it
		 * has one spelling: a file holding only version-1 records
		 * says 1 (and stays readable by the dbhook that wrote it). */
		ret = damaged(err, what, 1,
			      "format version 2 but no version-2 profile");
	}
	if (ret)
		dbh_vault_release(v);
	return ret;
}

/* The record's fields from "profile " up to the nonce (no newline). */
static int record_head(const struct dbh_vault_profile *p, char *out,
		       size_t outsz)
{
	char *salt = b64_encode(p->salt, sizeof(p->salt));
	char *nonce = b64_encode(p->nonce, sizeof(p->nonce));
	char stored[40] = "";
	int n;

	if (p->version >= 2)
		snprintf(stored, sizeof(stored), " stored=%" PRId64, p->stored);
	n = snprintf(out, outsz,
		     "profile %s scrypt N=%" PRIu64 " r=%u p=%u salt=%s%s "
		     "nonce=%s",
		     p->name, p->kdf.N, p->kdf.r, p->kdf.p, salt, stored,
		     nonce);

	free(salt);
	free(nonce);
	return n < 0 || (size_t)n >= outsz ? -1 : n;
}

int dbh_vault_aad(const struct dbh_vault_profile *p, char *out, size_t outsz)
{
	/* The record's own version, not the file's: a version-1 record
	 * keeps opening in a file that a version-2 record moved to 2. */
	int h = snprintf(out, outsz, "%s %u\n", DBH_VAULT_MAGIC, p->version);
	int r;

	if (h < 0 || (size_t)h >= outsz)
		return -1;
	r = record_head(p, out + h, outsz - (size_t)h);
	return r < 0 ? -1 : h + r;
}

char *dbh_vault_format(const struct dbh_vault *v)
{
	size_t cap = 256, len;
	char *out, head[512];
	unsigned version = DBH_VAULT_VERSION_MIN;

	for (size_t i = 0; i < v->n; i++) {
		cap += sizeof(head) + b64_len(v->p[i].ctlen) + 64;
		if (v->p[i].version > version)
			version = v->p[i].version;
	}
	out = dbh_xmalloc(cap);
	len = (size_t)snprintf(out, cap, "%s %u\n%s\n", DBH_VAULT_MAGIC,
			       version, COMMENT);
	for (size_t i = 0; i < v->n; i++) {
		const struct dbh_vault_profile *p = &v->p[i];
		char *ct = b64_encode(p->ct, p->ctlen);
		char *tag = b64_encode(p->tag, sizeof(p->tag));

		if (record_head(p, head, sizeof(head)) < 0) {
			free(ct);
			free(tag);
			free(out);
			return NULL;
		}
		len += (size_t)snprintf(out + len, cap - len,
					"%s ct=%s tag=%s\n", head, ct, tag);
		free(ct);
		free(tag);
	}
	snprintf(out + len, cap - len, "end\n");
	return out;
}

long dbh_vault_age_days(const struct dbh_vault_profile *p, int64_t now)
{
	if (p->version < 2)
		return -1;
	if (now <= p->stored)
		return 0;
	return (long)((now - p->stored) / 86400);
}

int dbh_vault_put(struct dbh_vault *v, struct dbh_vault_profile *p)
{
	struct dbh_vault_profile *slot = dbh_vault_find(v, p->name);

	if (!slot) {
		if (v->n >= DBH_VAULT_PROFILES_MAX)
			return -1;
		v->p = dbh_xrealloc(v->p, v->n + 1, sizeof(*v->p));
		slot = &v->p[v->n++];
	} else {
		free(slot->ct);
	}
	*slot = *p;
	p->ct = NULL;
	return 0;
}
