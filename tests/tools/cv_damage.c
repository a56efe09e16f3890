/* SPDX-License-Identifier: MIT */
/* Test tool: damage a copy of a vault one byte at a time, use it, judge. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vault/vault.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/banned.h"

/*
 * cv_damage VAULT PASSFILE WORKDIR [FLIPS_PER_PAGE]
 *
 * Reads the intact vault once (records, secrets, keyslots, audit length),
 * then for each damage case copies data.mdb into WORKDIR, damages the
 * copy (one byte flipped, at the page header, the node offsets, the node
 * headers and spread over the rest of every page; or the file truncated
 * to a multiple of 4 KiB) and, in a child process, opens, unlocks, reads
 * every record, lists, verifies the audit chain, checks, reveals, adds,
 * updates and removes.  Every answer must be the intact vault's answer or
 * CV_E_INTEGRITY (exit 6 in the CLI); damage must never read as a wrong
 * passphrase, a missing record or a missing vault.  A child that dies on
 * a signal or exits otherwise (a sanitizer) counts as a crash.  Prints
 * the counts; exits 1 on any wrong answer or crash.
 */

#define DMG_RECORDS_MAX 256
#define DMG_PAGE 4096

struct dmg_record {
	char name[CV_NAME_MAX + 1];
	char client_id[CV_CLIENT_ID_MAX + 1];
	char scope[CV_SCOPE_MAX + 1];
	char secret[CV_SECRET_MAX + 1];
	uint32_t ngen;
	int64_t revealed_at;
};

static struct dmg_record expect[DMG_RECORDS_MAX];
static size_t nexpect;
static size_t nslots;
static char pass[CV_PASSPHRASE_MAX + 1];
static size_t passlen;

/* Why the current case gave a wrong answer (the child prints it), and
 * whether it found damage.  The child's exit: 0 clean, DMG_EXIT_DAMAGE
 * damage found (every answer right), DMG_EXIT_WRONG a wrong answer;
 * anything else (a signal, a sanitizer's exit) is a crash. */
#define DMG_EXIT_DAMAGE 11
#define DMG_EXIT_WRONG 10
static char wrong[512];
static int found;
static char found_what[512]; /* the first answer that found damage */

static int
dmg_collect(const struct record *r, void *ctx)
{
	const struct generation *g = record_active(r);
	struct dmg_record *e;

	(void)ctx;
	if (nexpect == DMG_RECORDS_MAX)
		return CV_E_TOOBIG;
	e = &expect[nexpect++];
	(void)snprintf(e->name, sizeof(e->name), "%s", r->name);
	(void)snprintf(e->client_id, sizeof(e->client_id), "%s",
	    record_client_id(r));
	(void)snprintf(e->scope, sizeof(e->scope), "%s", r->scope);
	if (g != NULL)
		(void)snprintf(e->secret, sizeof(e->secret), "%s", g->secret);
	e->ngen = r->ngen;
	e->revealed_at = g != NULL ? g->revealed_at : 0;
	return 0;
}

static int
dmg_count_slot(const struct vault_slot_info *si, void *ctx)
{
	(void)si;
	(*(size_t *)ctx)++;
	return 0;
}

static const struct dmg_record *
dmg_find(const char *name)
{
	size_t i;

	for (i = 0; i < nexpect; i++)
		if (strcmp(expect[i].name, name) == 0)
			return &expect[i];
	return NULL;
}

/* Whether r is exactly what the intact vault held. */
static int
dmg_same(const struct record *r, const struct dmg_record *e)
{
	const struct generation *g = record_active(r);

	return strcmp(r->name, e->name) == 0 &&
	    strcmp(record_client_id(r), e->client_id) == 0 &&
	    strcmp(r->scope, e->scope) == 0 && r->ngen == e->ngen &&
	    (g != NULL ? strcmp(g->secret, e->secret) == 0 : e->secret[0] ==
	    '\0');
}

/* An answer: 0 (ok), CV_E_INTEGRITY (damage found), else wrong. */
static int
dmg_judge(const char *what, int rc)
{
	if (rc == CV_E_INTEGRITY && !found) {
		found = 1;
		(void)snprintf(found_what, sizeof(found_what), "%.40s", what);
	}
	if (rc == 0 || rc == CV_E_INTEGRITY)
		return 0;
	(void)snprintf(wrong, sizeof(wrong), "%.40s: %.200s", what,
	    cv_strerror(rc));
	return -1;
}

struct dmg_walk {
	size_t seen;
	int bad;
};

static int
dmg_walk_record(const struct record *r, void *ctx)
{
	struct dmg_walk *w = ctx;
	const struct dmg_record *e = dmg_find(r->name);

	if (e == NULL || !dmg_same(r, e)) {
		(void)snprintf(wrong, sizeof(wrong), "list: record '%.64s' is "
		    "not what the vault held", r->name);
		w->bad = 1;
	}
	w->seen++;
	return 0;
}

static int
dmg_walk_corrupt(const char *id, int err, void *ctx)
{
	(void)id;
	(void)err;
	((struct dmg_walk *)ctx)->bad = 2; /* damage found: fine */
	found = 1;
	return 0;
}

static int
dmg_walk_stale(const char *why, void *ctx)
{
	(void)why;
	((struct dmg_walk *)ctx)->bad = 2; /* damage found: fine */
	found = 1;
	return 0;
}

static void
dmg_report(const char *what, const char *subject, int err, void *ctx)
{
	(void)what;
	(void)subject;
	(void)err;
	(void)ctx;
}

static int
dmg_set_grace(struct record *r, void *ctx)
{
	(void)ctx;
	r->policy.grace_s = 7200;
	return 0;
}

/* Everything a user might do with the damaged vault in dir.  0: every
 * answer right; 1: a wrong answer (in `wrong`). */
static int
dmg_use(const char *dir)
{
	struct vault_visitor vis = { dmg_walk_record, dmg_walk_corrupt, NULL,
	    dmg_walk_stale };
	struct secbuf *plain = secbuf_new(CV_RECORD_MAX);
	struct secbuf *secret = secbuf_new(CV_SECRET_MAX);
	struct dmg_walk w = { 0, 0 };
	struct vault *v = NULL;
	struct record r, add;
	char why[512];
	size_t i, slots = 0;
	int rc;

	if (plain == NULL || secret == NULL)
		return 1;
	if ((rc = vault_open(dir, &v, why, sizeof(why))) != 0) {
		(void)dmg_judge("open", rc);
		(void)snprintf(found_what, sizeof(found_what), "open: %.400s",
		    why);
		return wrong[0] != '\0';
	}
	rc = vault_keyslot_list(v, dmg_count_slot, &slots);
	if (dmg_judge("keyslot list", rc) != 0)
		goto wrong;
	if (rc == 0 && slots != nslots) {
		(void)snprintf(wrong, sizeof(wrong), "keyslot list: %zu slots, "
		    "not %zu", slots, nslots);
		goto wrong;
	}
	rc = vault_unlock(v, KEYSLOT_PASSPHRASE, pass, passlen, NULL);
	if (rc == CV_E_AUTH) {
		(void)snprintf(wrong, sizeof(wrong), "unlock: damage reported "
		    "as a wrong passphrase (%.200s)", vault_subject(v));
		goto wrong;
	}
	if (dmg_judge("unlock", rc) != 0)
		goto wrong;
	if (rc != 0)
		goto done;
	for (i = 0; i < nexpect; i++) {
		rc = vault_record_get(v, expect[i].name, plain, &r);
		if (rc == CV_E_NOTFOUND) {
			(void)snprintf(wrong, sizeof(wrong), "get: record '%.64s' "
			    "not found", expect[i].name);
			goto wrong;
		}
		if (dmg_judge("get", rc) != 0)
			goto wrong;
		if (rc == 0 && !dmg_same(&r, &expect[i])) {
			(void)snprintf(wrong, sizeof(wrong), "get: record '%.64s' "
			    "differs", expect[i].name);
			goto wrong;
		}
		secbuf_reset(plain);
	}
	vis.ctx = &w;
	rc = vault_record_foreach(v, &vis);
	if (w.bad == 1 || dmg_judge("list", rc) != 0)
		goto wrong;
	if (rc == 0 && w.bad == 0 && w.seen != nexpect) {
		(void)snprintf(wrong, sizeof(wrong), "list: %zu records without "
		    "a word of damage, not %zu", w.seen, nexpect);
		goto wrong;
	}
	if (dmg_judge("audit verify", vault_audit_verify(v, NULL, NULL)) ||
	    dmg_judge("check", vault_check(v, dmg_report, NULL)))
		goto wrong;
	for (i = 0; i < nexpect; i++) {
		if (expect[i].revealed_at != 0 || expect[i].secret[0] == '\0')
			continue;
		rc = vault_record_reveal(v, expect[i].name, secret);
		if (dmg_judge("reveal", rc) != 0)
			goto wrong;
		if (rc == 0 && strcmp((const char *)secret->data,
		    expect[i].secret) != 0) {
			(void)snprintf(wrong, sizeof(wrong), "reveal: record "
			    "'%.64s' printed another secret", expect[i].name);
			goto wrong;
		}
		break;
	}
	memset(&add, 0, sizeof(add));
	add.name = "zz-added";
	add.provider = "oauth2";
	add.scope = "a";
	add.auth_url = "https://idp.example/token";
	add.ngen = 1;
	add.gen[0].number = 1;
	add.gen[0].state = GEN_ACTIVE;
	add.gen[0].client_id = "added";
	add.gen[0].secret = "added-secret";
	add.gen[0].secret_len = strlen("added-secret");
	add.policy.grace_s = 3600;
	if (dmg_judge("add", vault_records_add(v, &add, 1)) ||
	    (nexpect > 0 && dmg_judge("update", vault_record_update(v,
	    expect[0].name, dmg_set_grace, NULL, "policy", NULL))) ||
	    (nexpect > 1 && dmg_judge("remove", vault_record_remove(v,
	    expect[nexpect - 1].name))))
		goto wrong;
done:
	vault_free(&v);
	secbuf_free(&plain);
	secbuf_free(&secret);
	return 0;
wrong:
	vault_free(&v);
	secbuf_free(&plain);
	secbuf_free(&secret);
	return 1;
}

static int
dmg_copy(const char *src, const char *dst, off_t len, off_t flip)
{
	unsigned char buf[65536];
	int in, out, rc = -1;
	off_t done = 0;
	ssize_t n;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if ((out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0) {
		(void)close(in);
		return -1;
	}
	while (done < len) {
		n = read(in, buf, (size_t)(len - done) < sizeof(buf) ?
		    (size_t)(len - done) : sizeof(buf));
		if (n <= 0)
			goto out;
		if (flip >= done && flip < done + n)
			buf[flip - done] ^= 0x5a;
		if (write(out, buf, (size_t)n) != n)
			goto out;
		done += n;
	}
	rc = 0;
out:
	(void)close(in);
	(void)close(out);
	return rc;
}

struct dmg_counts {
	unsigned cases, works, damage, wrong, crash;
};

/* One case: the copy in work/, used in a child. */
static void
dmg_case(const char *vault, const char *work, off_t len, off_t flip,
    struct dmg_counts *n)
{
	char src[CV_PATH_MAX], dst[CV_PATH_MAX], lock[CV_PATH_MAX];
	int pfd[2], status;
	char line[600];
	ssize_t got;
	pid_t pid;

	(void)snprintf(src, sizeof(src), "%s/data.mdb", vault);
	(void)snprintf(dst, sizeof(dst), "%s/data.mdb", work);
	(void)snprintf(lock, sizeof(lock), "%s/lock.mdb", work);
	(void)unlink(lock);
	if (dmg_copy(src, dst, len, flip) != 0 || pipe(pfd) != 0) {
		fprintf(stderr, "cv_damage: cannot copy the vault\n");
		exit(2);
	}
	n->cases++;
	if ((pid = fork()) == 0) {
		int r;

		(void)close(pfd[0]);
		wrong[0] = '\0';
		r = dmg_use(work);
		if (wrong[0] == '\0' && found)
			(void)snprintf(wrong, sizeof(wrong), "%s", found_what);
		(void)!write(pfd[1], wrong, strlen(wrong));
		_exit(r != 0 ? DMG_EXIT_WRONG : found ? DMG_EXIT_DAMAGE : 0);
	}
	(void)close(pfd[1]);
	got = read(pfd[0], line, sizeof(line) - 1);
	line[got > 0 ? got : 0] = '\0';
	(void)close(pfd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		n->crash++;
		return;
	}
	if (WIFSIGNALED(status) || (WEXITSTATUS(status) != 0 &&
	    WEXITSTATUS(status) != DMG_EXIT_DAMAGE &&
	    WEXITSTATUS(status) != DMG_EXIT_WRONG)) {
		n->crash++;
		printf("crash: %s %lld: %s %d\n", flip >= 0 ? "flip" :
		    "truncate", (long long)(flip >= 0 ? flip : len),
		    WIFSIGNALED(status) ? "signal" : "exit",
		    WIFSIGNALED(status) ? WTERMSIG(status) :
		    WEXITSTATUS(status));
	} else if (WEXITSTATUS(status) == DMG_EXIT_WRONG) {
		n->wrong++;
		printf("wrong: %s %lld: %s\n", flip >= 0 ? "flip" : "truncate",
		    (long long)(flip >= 0 ? flip : len), line);
	} else if (WEXITSTATUS(status) == 0) {
		n->works++;
	}
	if (getenv("CV_DAMAGE_VERBOSE") != NULL)
		printf("case %s %lld: exit %d %s\n", flip >= 0 ? "flip" :
		    "truncate", (long long)(flip >= 0 ? flip : len),
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1, line);
}

/* A fixed sequence, so that a failing case can be run again. */
static unsigned
dmg_random(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

/* Offsets in a page that matter to LMDB, then some spread over it. */
static const unsigned dmg_page_offsets[] = { 0, 1, 8, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19 };

int
main(int argc, char **argv)
{
	struct vault_visitor vis = { dmg_collect, NULL, NULL, NULL };
	struct dmg_counts n;
	struct vault *v = NULL;
	char path[CV_PATH_MAX], copy[CV_PATH_MAX], lockpath[CV_PATH_MAX];
	char why[512];
	unsigned per_page, k, seed;
	struct stat st;
	off_t pages, p, len, off;
	FILE *f;
	int rc;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: cv_damage VAULT PASSFILE WORKDIR "
		    "[FLIPS_PER_PAGE]\n");
		return 2;
	}
	per_page = argc == 5 ? (unsigned)strtoul(argv[4], NULL, 10) : 16;
	if ((f = fopen(argv[2], "r")) == NULL ||
	    fgets(pass, sizeof(pass), f) == NULL) {
		fprintf(stderr, "cv_damage: cannot read the passphrase\n");
		return 2;
	}
	(void)fclose(f);
	pass[strcspn(pass, "\n")] = '\0';
	passlen = strlen(pass);
	/* The intact vault's answers, from a copy: unlocking audits. */
	(void)snprintf(path, sizeof(path), "%s/data.mdb", argv[1]);
	if (stat(path, &st) != 0)
		return 2;
	len = st.st_size;
	(void)snprintf(lockpath, sizeof(lockpath), "%s/lock.mdb", argv[3]);
	(void)unlink(lockpath);
	(void)snprintf(copy, sizeof(copy), "%s/data.mdb", argv[3]);
	if (dmg_copy(path, copy, len, -1) != 0)
		return 2;
	if ((rc = vault_open(argv[3], &v, why, sizeof(why))) != 0 ||
	    (rc = vault_unlock(v, KEYSLOT_PASSPHRASE, pass, passlen,
	    NULL)) != 0 ||
	    (rc = vault_keyslot_list(v, dmg_count_slot, &nslots)) != 0 ||
	    (rc = vault_record_foreach(v, &vis)) != 0) {
		fprintf(stderr, "cv_damage: the intact vault: %s\n",
		    cv_strerror(rc));
		return 2;
	}
	vault_free(&v);
	pages = len / DMG_PAGE;
	memset(&n, 0, sizeof(n));
	seed = 1;
	for (p = 0; p < pages; p++) {
		for (k = 0; k < per_page; k++) {
			off = k < sizeof(dmg_page_offsets) /
			    sizeof(dmg_page_offsets[0]) ?
			    dmg_page_offsets[k] : dmg_random(&seed) % DMG_PAGE;
			dmg_case(argv[1], argv[3], len, p * DMG_PAGE + off, &n);
		}
	}
	for (p = 0; p < pages; p++)
		dmg_case(argv[1], argv[3], p * DMG_PAGE, -1, &n);
	printf("cv_damage: %u cases over %lld pages: %u clean, %u found "
	    "damage, %u wrong answers, %u crashes\n", n.cases,
	    (long long)pages, n.works, n.cases - n.works - n.wrong - n.crash,
	    n.wrong, n.crash);
	return n.wrong != 0 || n.crash != 0;
}
