/* vault.c - the encrypted profile file: format, crypto, safe file I/O.
 *
 * See vault.h for the format. Parsing is strict (one spelling per file),
 * so a changed byte is either a parse error or an authentication failure,
 * never a silently different result.
 */
#include "dbhook/vault.h"
#include "dbhook/alloc.h"
#include "dbhook/config.h"
#include "dbhook/fileio.h"

#include "dbh_config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define LINE_MAX_LEN 16384
#define COMMENT                                                                \
	"# dbhook encrypted profiles (dbhook setup / dbhook run). Do not "     \
	"edit: see \"Vault file format\" in dbhook's README."
#define REDO_HINT                                                              \
	"Restore the file from a backup, or remove it and store each "         \
	"profile again with `dbhook setup`."

void dbh_secret_wipe(void *p, size_t len)
{
	if (!p || !len)
		return;
#if DBH_HAVE_EXPLICIT_BZERO
	explicit_bzero(p, len);
#endif
	/* Everywhere, also where explicit_bzero is missing (macOS). */
	OPENSSL_cleanse(p, len);
}

void dbh_secret_free(char *s)
{
	if (!s)
		return;
	dbh_secret_wipe(s, strlen(s));
	free(s);
}

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

/* Parses one "profile ..." line (NUL-terminated, no newline) into `p`.
 * Returns NULL or what is wrong. */
static const char *parse_record(char *line, struct dbh_vault_profile *p)
{
	char *tok[11];
	size_t nt = 0;
	uint64_t n;
	const char *val;
	char *s = line;

	memset(p, 0, sizeof(*p));
	for (;;) {
		char *sp = strchr(s, ' ');

		if (nt == 11)
			return "too many fields";
		tok[nt++] = s;
		if (!sp)
			break;
		*sp = '\0';
		s = sp + 1;
	}
	if (nt != 10)
		return "a profile line has 10 fields";
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
	if (fixed_field(tok[7], "nonce", p->nonce, sizeof(p->nonce)))
		return "bad nonce";
	if (!(val = kv(tok[8], "ct")) ||
	    b64_decode(val, strlen(val), &p->ct, &p->ctlen))
		return "bad ciphertext";
	if (p->ctlen == 0 || p->ctlen > DBH_VAULT_SECRET_MAX) {
		free(p->ct);
		p->ct = NULL;
		return "bad ciphertext length";
	}
	if (fixed_field(tok[9], "tag", p->tag, sizeof(p->tag))) {
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

/* Parses the first line: "dbhook-vault <version>". */
static int parse_header(const char *line, const char *what,
			struct dbh_error *err)
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
	if (version != DBH_VAULT_VERSION) {
		dbh_error_set(err, DBH_EUSAGE,
			      "config file \"%s\" has format version %" PRIu64
			      "; this dbhook reads version %d",
			      what, version, DBH_VAULT_VERSION);
		dbh_error_hint(err, "Use the dbhook release that wrote the "
				    "file, or a newer one.");
		return DBH_EUSAGE;
	}
	return 0;
}

int dbh_vault_parse(const char *buf, size_t len, const char *what,
		    struct dbh_vault *v, struct dbh_error *err)
{
	char *line = NULL;
	size_t pos = 0, lineno = 0;
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
			ret = parse_header(line, what, err);
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
	}
	if (ret)
		dbh_vault_release(v);
	return ret;
}

/* The record's fields up to the nonce, after "profile " (no newline). */
static int record_head(const struct dbh_vault_profile *p, char *out,
		       size_t outsz)
{
	char *salt = b64_encode(p->salt, sizeof(p->salt));
	char *nonce = b64_encode(p->nonce, sizeof(p->nonce));
	int n = snprintf(out, outsz,
			 "profile %s scrypt N=%" PRIu64
			 " r=%u p=%u salt=%s nonce=%s",
			 p->name, p->kdf.N, p->kdf.r, p->kdf.p, salt, nonce);

	free(salt);
	free(nonce);
	return n < 0 || (size_t)n >= outsz ? -1 : n;
}

/* The associated data: the header line, then the record head. */
static int make_aad(const struct dbh_vault_profile *p, char *out, size_t outsz)
{
	int h =
	    snprintf(out, outsz, "%s %d\n", DBH_VAULT_MAGIC, DBH_VAULT_VERSION);
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

	for (size_t i = 0; i < v->n; i++)
		cap += sizeof(head) + b64_len(v->p[i].ctlen) + 64;
	out = dbh_xmalloc(cap);
	len = (size_t)snprintf(out, cap, "%s %d\n%s\n", DBH_VAULT_MAGIC,
			       DBH_VAULT_VERSION, COMMENT);
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

/* ---- crypto ---- */

static int kdf_shape_ok(const struct dbh_vault_kdf *k, uint64_t min_N,
			uint64_t max_N)
{
	return k->N >= min_N && k->N <= max_N && !(k->N & (k->N - 1)) &&
	       k->r == 8 && k->p == 1;
}

int dbh_vault_check_kdf(const struct dbh_vault_profile *p,
			const struct dbh_vault_limits *lim,
			struct dbh_error *err)
{
	uint64_t min_N = lim ? lim->min_N : DBH_VAULT_MIN_N;
	uint64_t max_N = lim ? lim->max_N : DBH_VAULT_MAX_N;

	if (kdf_shape_ok(&p->kdf, min_N, max_N))
		return 0;
	dbh_error_set(err, DBH_EUSAGE,
		      "profile \"%s\" uses scrypt N=%" PRIu64
		      " r=%u p=%u, which this dbhook refuses as %s",
		      p->name, p->kdf.N, p->kdf.r, p->kdf.p,
		      p->kdf.N < min_N ? "unsafe (too weak)"
				       : "unsupported or too costly");
	dbh_error_detail(err,
			 "Profiles must use scrypt with N from %" PRIu64
			 " to %" PRIu64 ", r=8 and p=1.",
			 min_N, max_N);
	dbh_error_hint(
	    err, "Store the profile again: dbhook setup --profile %s", p->name);
	return DBH_EUSAGE;
}

static int derive(const char *password, const unsigned char *salt,
		  const struct dbh_vault_kdf *k,
		  unsigned char key[DBH_VAULT_KEY_LEN])
{
	/* What EVP_PBE_scrypt allocates: B (128 r p) and V (128 r (N+2)),
	 * plus room to spare. */
	uint64_t maxmem =
	    128ull * k->r * (k->N + 2) + 128ull * k->r * k->p + (1u << 20);

	return EVP_PBE_scrypt(password, strlen(password), salt,
			      DBH_VAULT_SALT_LEN, k->N, k->r, k->p, maxmem, key,
			      DBH_VAULT_KEY_LEN) == 1
		   ? 0
		   : -1;
}

/* AES-256-GCM one shot. `enc` 1 to encrypt (writes tag), 0 to decrypt
 * (checks tag). Returns 0, or -1 (decrypt: authentication failed). */
static int gcm(int enc, const unsigned char *key, const unsigned char *nonce,
	       const char *aad, size_t aadlen, const unsigned char *in,
	       size_t len, unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, ok = 0;

	if (!ctx) /* an empty context: only memory can fail */
		dbh_oom();
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) !=
		1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN,
				DBH_VAULT_NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)aad,
			     (int)aadlen) != 1 ||
	    EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG,
					DBH_VAULT_TAG_LEN, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + n, &n) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
				       DBH_VAULT_TAG_LEN, tag) != 1)
		goto out;
	ok = 1;
out:
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

int dbh_vault_seal(struct dbh_vault *v, const char *name, const char *password,
		   const char *secret, const struct dbh_vault_kdf *kdf,
		   struct dbh_error *err)
{
	struct dbh_vault_profile p;
	unsigned char key[DBH_VAULT_KEY_LEN];
	char aad[600];
	size_t len = strlen(secret);
	int aadlen, ret = DBH_EUSAGE;

	memset(&p, 0, sizeof(p));
	if (!dbh_vault_valid_name(name))
		return dbh_error_set(err, DBH_EUSAGE,
				     "invalid profile name (use 1 to %d of "
				     "A-Z a-z 0-9 . _ -, not starting with "
				     ". or -)",
				     DBH_VAULT_NAME_MAX);
	if (len == 0 || len > DBH_VAULT_SECRET_MAX)
		return dbh_error_set(err, DBH_EUSAGE,
				     "the URL must hold 1 to %d bytes",
				     DBH_VAULT_SECRET_MAX);
	strcpy(p.name, name);
	if (kdf) {
		p.kdf = *kdf;
		if (!kdf_shape_ok(&p.kdf, 2, DBH_VAULT_MAX_N))
			return dbh_error_set(err, DBH_EUSAGE,
					     "unsupported scrypt parameters");
	} else {
		p.kdf.N = DBH_VAULT_DEFAULT_N;
		p.kdf.r = 8;
		p.kdf.p = 1;
	}
	if (RAND_bytes(p.salt, sizeof(p.salt)) != 1 ||
	    RAND_bytes(p.nonce, sizeof(p.nonce)) != 1)
		return dbh_error_set(err, DBH_EUSAGE,
				     "cannot get random bytes from OpenSSL");
	aadlen = make_aad(&p, aad, sizeof(aad));
	if (aadlen < 0) /* cannot happen: a name is at most 64 bytes */
		return dbh_error_set(err, DBH_EUSAGE,
				     "the profile's record is too long");
	p.ct = dbh_xmalloc(len);
	p.ctlen = len;
	if (derive(password, p.salt, &p.kdf, key)) {
		dbh_error_set(err, DBH_EUSAGE,
			      "cannot derive the key (scrypt N=%" PRIu64
			      " needs about %" PRIu64 " MiB of memory)",
			      p.kdf.N, (128 * p.kdf.r * p.kdf.N) >> 20);
		goto out;
	}
	if (gcm(1, key, p.nonce, aad, (size_t)aadlen,
		(const unsigned char *)secret, len, p.ct, p.tag)) {
		dbh_error_set(err, DBH_EUSAGE, "encryption failed (OpenSSL)");
		goto out;
	}
	if (dbh_vault_put(v, &p)) {
		dbh_error_set(err, DBH_EUSAGE,
			      "the file already holds %d profiles",
			      DBH_VAULT_PROFILES_MAX);
		goto out;
	}
	ret = 0;
out:
	dbh_secret_wipe(key, sizeof(key));
	free(p.ct);
	return ret;
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

int dbh_vault_open(const struct dbh_vault *v, const char *name,
		   const char *password, const struct dbh_vault_limits *lim,
		   char **secret_out, struct dbh_error *err)
{
	const struct dbh_vault_profile *p = dbh_vault_find(v, name);
	unsigned char key[DBH_VAULT_KEY_LEN], tag[DBH_VAULT_TAG_LEN];
	char aad[600], *out;
	int aadlen, ret;

	*secret_out = NULL;
	if (!p)
		return dbh_error_set(err, DBH_EUSAGE, "no profile \"%s\"",
				     name);
	ret = dbh_vault_check_kdf(p, lim, err);
	if (ret)
		return ret;
	aadlen = make_aad(p, aad, sizeof(aad));
	if (aadlen < 0) /* cannot happen: a name is at most 64 bytes */
		return dbh_error_set(err, DBH_EUSAGE,
				     "profile \"%s\": record too long", name);
	out = dbh_xmalloc(p->ctlen + 1);
	if (derive(password, p->salt, &p->kdf, key)) {
		free(out);
		dbh_error_set(err, DBH_EUSAGE,
			      "cannot derive the key (scrypt N=%" PRIu64
			      " needs about %" PRIu64 " MiB of memory)",
			      p->kdf.N, (128 * p->kdf.r * p->kdf.N) >> 20);
		return DBH_EUSAGE;
	}
	memcpy(tag, p->tag, sizeof(tag));
	ret = gcm(0, key, p->nonce, aad, (size_t)aadlen, p->ct, p->ctlen,
		  (unsigned char *)out, tag);
	dbh_secret_wipe(key, sizeof(key));
	out[p->ctlen] = '\0';
	if (ret || memchr(out, '\0', p->ctlen)) {
		dbh_secret_wipe(out, p->ctlen + 1);
		free(out);
		dbh_error_set(err, DBH_EUSAGE,
			      "cannot decrypt profile \"%s\": wrong password "
			      "or the file was changed",
			      name);
		dbh_error_hint(err,
			       "Type the password given to `dbhook setup "
			       "--profile %s`. If it is lost, or the file "
			       "was damaged, store the URL again with that "
			       "command.",
			       name);
		return DBH_EUSAGE;
	}
	*secret_out = out;
	return 0;
}

/* ---- the file ---- */

/* `path` quoted for a shell command in a hint. */
static void shell_quote(const char *in, char *out, size_t outsz)
{
	size_t o = 0;
	int plain = *in != '\0';

	for (const char *s = in; *s; s++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"
			    "yz0123456789._-/+=:@%~",
			    *s))
			plain = 0;
	if (plain) {
		snprintf(out, outsz, "%s", in);
		return;
	}
	if (outsz < 3) {
		if (outsz)
			out[0] = '\0';
		return;
	}
	out[o++] = '\'';
	for (const char *s = in; *s && o + 6 < outsz; s++) {
		if (*s == '\'') {
			memcpy(out + o, "'\\''", 4);
			o += 4;
		} else {
			out[o++] = *s;
		}
	}
	out[o++] = '\'';
	out[o] = '\0';
}

static int file_error(struct dbh_error *err, const char *path, const char *verb)
{
	int e = errno;

	dbh_error_set(err, DBH_EUSAGE, "cannot %s config file \"%s\": %s", verb,
		      path, strerror(e));
	return DBH_EUSAGE;
}

static int symlink_error(struct dbh_error *err, const char *path)
{
	dbh_error_set(err, DBH_EUSAGE,
		      "config file \"%s\" is a symbolic link; dbhook does not "
		      "follow links to its secrets",
		      path);
	dbh_error_hint(err, "Give the real file with --config, or replace the "
			    "link with the file itself.");
	return DBH_EUSAGE;
}

/* ssh's rule: ours, and neither group nor others may read or write. */
static int check_stat(const char *path, const struct stat *st,
		      struct dbh_error *err)
{
	char q[600];

	shell_quote(path, q, sizeof(q));
	if (!S_ISREG(st->st_mode))
		return dbh_error_set(err, DBH_EUSAGE,
				     "config file \"%s\" is not a regular file",
				     path);
	if (st->st_uid != geteuid()) {
		dbh_error_set(err, DBH_EUSAGE,
			      "config file \"%s\" is owned by uid %u, not by "
			      "you (uid %u)",
			      path, (unsigned)st->st_uid, (unsigned)geteuid());
		dbh_error_detail(err, "Another user could have replaced the "
				      "stored URL.");
		dbh_error_hint(err,
			       "Use a file of your own (--config), or take it "
			       "over: sudo chown %u %s && chmod 600 %s",
			       (unsigned)geteuid(), q, q);
		return DBH_EUSAGE;
	}
	if (st->st_mode & 077) {
		dbh_error_set(err, DBH_EUSAGE,
			      "permissions %04o for config file \"%s\" are too "
			      "open",
			      (unsigned)(st->st_mode & 07777), path);
		dbh_error_detail(err, "It must not be readable or writable by "
				      "group or others.");
		dbh_error_hint(err, "Run: chmod 600 %s", q);
		return DBH_EUSAGE;
	}
	return 0;
}

int dbh_vault_load(const char *path, struct dbh_vault *v, int *missing,
		   struct dbh_error *err)
{
	struct stat st;
	char *buf;
	size_t len = 0;
	int fd, ret;

	memset(v, 0, sizeof(*v));
	if (missing)
		*missing = 0;
	fd = open(path,
		  O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT && missing) {
			*missing = 1;
			return 0;
		}
		if (errno == ELOOP)
			return symlink_error(err, path);
		if (errno == ENOENT) {
			dbh_error_set(err, DBH_EUSAGE, "no config file \"%s\"",
				      path);
			dbh_error_hint(err, "Store a profile first: dbhook "
					    "setup (or give the file with "
					    "--config).");
			return DBH_EUSAGE;
		}
		return file_error(err, path, "open");
	}
	if (fstat(fd, &st)) {
		ret = file_error(err, path, "examine");
		close(fd);
		return ret;
	}
	ret = check_stat(path, &st, err);
	if (ret) {
		close(fd);
		return ret;
	}
	buf = dbh_xmalloc(DBH_VAULT_FILE_MAX + 2);
	for (;;) {
		ssize_t n = read(fd, buf + len, DBH_VAULT_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = file_error(err, path, "read");
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > DBH_VAULT_FILE_MAX)
			break;
	}
	close(fd);
	if (!ret)
		ret = dbh_vault_parse(buf, len, path, v, err);
	free(buf);
	return ret;
}

/* The folder part of `path` ("." when none) into `out`. */
int dbh_vault_lock(const char *path, double timeout_s, int *lockfd,
		   struct dbh_error *err)
{
	char dir[4096];
	struct timespec pause = {0, 50 * 1000 * 1000};
	double waited = 0;
	int fd;

	dbh_dir_of(path, dir, sizeof(dir));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		dbh_error_set(err, DBH_EUSAGE,
			      "cannot open the folder \"%s\" of the config "
			      "file: %s",
			      dir, strerror(e));
		return DBH_EUSAGE;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int e = errno;

			close(fd);
			dbh_error_set(err, DBH_EUSAGE,
				      "cannot lock the folder \"%s\": %s", dir,
				      strerror(e));
			return DBH_EUSAGE;
		}
		if (waited >= timeout_s) {
			close(fd);
			dbh_error_set(err, DBH_EUSAGE,
				      "another dbhook is changing \"%s\"; gave "
				      "up after %.0f s",
				      path, timeout_s);
			return DBH_EUSAGE;
		}
		nanosleep(&pause, NULL);
		waited += 0.05;
	}
	*lockfd = fd;
	return 0;
}

void dbh_vault_unlock(int lockfd)
{
	if (lockfd >= 0) {
		flock(lockfd, LOCK_UN);
		close(lockfd);
	}
}

int dbh_vault_save(const char *path, const struct dbh_vault *v,
		   struct dbh_error *err)
{
	const char *base = strrchr(path, '/');
	struct stat st;
	char *text;
	int ret;

	base = base ? base + 1 : path;
	if (!*base)
		return dbh_error_set(err, DBH_EUSAGE,
				     "config file \"%s\" names a folder", path);
	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			return symlink_error(err, path);
		if (!S_ISREG(st.st_mode))
			return dbh_error_set(err, DBH_EUSAGE,
					     "config file \"%s\" is not a "
					     "regular file",
					     path);
	} else if (errno != ENOENT) {
		return file_error(err, path, "examine");
	}
	text = dbh_vault_format(v);
	if (!text) /* cannot happen: a name is at most 64 bytes */
		return dbh_error_set(err, DBH_EUSAGE,
				     "a profile's record is too long");
	ret = dbh_write_atomic(path, text, strlen(text), 0600,
			       DBH_WRITE_REPLACE, "config file", err);
	dbh_secret_free(text);
	return ret;
}

/* ---- where the file is ---- */

static void sanitize_app(const char *in, char *out, size_t outsz)
{
	size_t o = 0;
	int dash = 0;

	if (outsz == 0)
		return;
	for (; *in && o + 1 < outsz; in++) {
		char c = *in;
		int okc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' ||
			  c == '-';

		if (okc && !(o == 0 && (c == '.' || c == '-'))) {
			out[o++] = c;
			dash = c == '-';
		} else if (!okc && o > 0 && !dash) {
			out[o++] = '-';
			dash = 1;
		}
	}
	while (o > 0 && (out[o - 1] == '-' || out[o - 1] == '.'))
		o--;
	out[o] = '\0';
}

/* package.json's "name" in `dir`, malloc'd, or NULL. */
static char *package_name(const char *dir)
{
	char path[4200], *buf, *name = NULL;
	FILE *f;
	size_t n;
	cJSON *root, *item;

	snprintf(path, sizeof(path), "%s/package.json", dir);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	buf = dbh_xmalloc(DBH_VAULT_FILE_MAX + 1);
	n = fread(buf, 1, DBH_VAULT_FILE_MAX, f);
	fclose(f);
	buf[n] = '\0';
	/* NULL for invalid JSON and for want of memory alike: either way
	 * the folder name is used instead. */
	root = cJSON_Parse(buf);
	free(buf);
	item = cJSON_GetObjectItemCaseSensitive(root, "name");
	if (cJSON_IsString(item) && item->valuestring)
		name = dbh_xstrdup(item->valuestring);
	cJSON_Delete(root);
	return name;
}

void dbh_vault_app_name(const char *dir, char *out, size_t outsz)
{
	char *name = package_name(dir);

	if (outsz == 0)
		return;
	out[0] = '\0';
	if (name)
		sanitize_app(name, out, outsz);
	free(name);
	if (!out[0]) {
		const char *slash = strrchr(dir, '/');

		sanitize_app(slash ? slash + 1 : dir, out, outsz);
	}
	if (!out[0])
		snprintf(out, outsz, "app");
}

static int config_path(const char *home, const char *app, char *out,
		       size_t outsz)
{
	return (size_t)snprintf(out, outsz, "%s%s.%s-migrate-config", home,
				home[strlen(home) - 1] == '/' ? "" : "/",
				app) >= outsz;
}

int dbh_vault_default_path(char *out, size_t outsz, struct dbh_error *err)
{
	const char *home = dbh_config()->home;
	char cwd[4096], top[4096], app[101];

	if (!home || !*home) {
		const struct passwd *pw = getpwuid(geteuid());

		home = pw ? pw->pw_dir : NULL;
	}
	if (!home || !*home)
		return dbh_error_set(err, DBH_EUSAGE,
				     "no home folder for the config file (HOME "
				     "is not set); give one with --config");
	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), ".");
	/* Named after the project's top (the repository or workspace), so
	 * one file serves every folder of a monorepo... */
	if (!dbh_find_up(cwd, dbh_is_project_top, top, sizeof(top)))
		snprintf(top, sizeof(top), "%s", cwd);
	dbh_vault_app_name(top, app, sizeof(app));
	if (config_path(home, app, out, outsz))
		return dbh_error_set(err, DBH_EUSAGE,
				     "the home folder path is too long");
	/* ...but a file stored before, named after the current folder,
	 * stays in use when the new name has none. */
	if (strcmp(top, cwd) != 0 && access(out, F_OK) != 0) {
		char old[4200];

		dbh_vault_app_name(cwd, app, sizeof(app));
		if (!config_path(home, app, old, sizeof(old)) &&
		    access(old, F_OK) == 0)
			snprintf(out, outsz, "%s", old);
	}
	return 0;
}
