/* SPDX-License-Identifier: MIT */
/* Vault benchmark: bulk import, get, list, one change, opening, file size,
 * unlock; each next to a raw LMDB + XChaCha20-Poly1305 baseline measured
 * in the same run where there is one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "crypto/kdf.h"
#include "crypto/seal.h"
#include "crypto/secmem.h"
#include "base/err.h"
#include "base/limits.h"
#include "vault/vault.h"
#include "base/banned.h"

#define BENCH_GETS 200000u
#define BENCH_CHANGES 300u /* single-record commits, each its own txn */
#define BENCH_OPENS 20u

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, int rc)
{
	fprintf(stderr, "vault_bench: %s: %s\n", what, cv_strerror(rc));
	exit(1);
}

/* A realistic commercetools record; names, ids and secrets all differ. */
struct bench_rec {
	char name[48], client_id[40], secret[40];
};

static void
bench_fill(struct record *r, struct bench_rec *b, size_t i)
{
	snprintf(b->name, sizeof(b->name), "bench/shop-%08zu", i);
	snprintf(b->client_id, sizeof(b->client_id), "cid-%08zu-Zk3q9XbT2w", i);
	snprintf(b->secret, sizeof(b->secret), "sec-%08zu-Pq8LmN3vR7sT2wXy", i);
	memset(r, 0, sizeof(*r));
	r->name = b->name;
	r->provider = "commercetools";
	r->project_key = "bench-project";
	r->scope = "view_products:bench-project manage_orders:bench-project";
	r->api_url = "https://api.europe-west1.gcp.commercetools.com";
	r->auth_url = "https://auth.europe-west1.gcp.commercetools.com";
	r->created_at = r->updated_at = 1700000000;
	r->ngen = 1;
	r->gen[0].number = 1;
	r->gen[0].state = GEN_ACTIVE;
	r->gen[0].created_at = r->gen[0].activated_at = 1700000000;
	r->gen[0].client_id = b->client_id;
	r->gen[0].secret = b->secret;
	r->gen[0].secret_len = strlen(b->secret);
}

struct list_ctx {
	char **names;
	size_t n;
};

static int
list_one(const struct record *r, void *arg)
{
	struct list_ctx *l = arg;

	l->names[l->n++] = strdup(r->name);
	return 0;
}

/* A change that rewrites the record (as a policy change does). */
static int
bench_touch(struct record *r, void *arg)
{
	(void)arg;
	r->policy.grace_s++;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The raw path: LMDB get of a value of the same size, then one AEAD open. */
static double
raw_get_us(const char *dir, size_t n, size_t vlen, double *raw_list_s)
{
	unsigned char key[32], k[32], *val, *pt;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val mk, mv;
	unsigned long long ptlen, clen;
	size_t i;
	double t0, dt;

	val = malloc(vlen + 16);
	pt = malloc(vlen);
	randombytes_buf(k, sizeof(k));
	mdb_env_create(&env);
	mdb_env_set_mapsize(env, (size_t)4 << 30);
	mkdir(dir, 0700);
	if (mdb_env_open(env, dir, MDB_NOTLS, 0600) != 0)
		die("raw open", CV_E_IO);
	mdb_txn_begin(env, NULL, 0, &txn);
	mdb_dbi_open(txn, NULL, 0, &dbi);
	randombytes_buf(pt, vlen);
	crypto_aead_xchacha20poly1305_ietf_encrypt(val + 24, &clen, pt,
	    vlen - 40, NULL, 0, NULL, val, k);
	for (i = 0; i < n; i++) {
		crypto_generichash(key, 32, (void *)&i, sizeof(i), k, 32);
		mk.mv_size = 32, mk.mv_data = key;
		mv.mv_size = vlen, mv.mv_data = val;
		mdb_put(txn, dbi, &mk, &mv, 0);
	}
	mdb_txn_commit(txn);
	t0 = now_s();
	for (i = 0; i < BENCH_GETS; i++) {
		size_t j = (size_t)randombytes_uniform((uint32_t)n);

		crypto_generichash(key, 32, (void *)&j, sizeof(j), k, 32);
		mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
		mk.mv_size = 32, mk.mv_data = key;
		if (mdb_get(txn, dbi, &mk, &mv) != 0 ||
		    crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &ptlen, NULL,
		    (unsigned char *)mv.mv_data + 24, mv.mv_size - 24, NULL, 0,
		    mv.mv_data, k) != 0)
			die("raw get", CV_E_INTEGRITY);
		mdb_txn_abort(txn);
	}
	dt = now_s() - t0;
	/* The raw list: a full scan opening every value. */
	t0 = now_s();
	mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
	{
		MDB_cursor *cur;

		mdb_cursor_open(txn, dbi, &cur);
		while (mdb_cursor_get(cur, &mk, &mv, MDB_NEXT) == 0)
			if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt,
			    &ptlen, NULL, (unsigned char *)mv.mv_data + 24,
			    mv.mv_size - 24, NULL, 0, mv.mv_data, k) != 0)
				die("raw scan", CV_E_INTEGRITY);
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	*raw_list_s = now_s() - t0;
	mdb_env_close(env);
	free(val);
	free(pt);
	return dt / BENCH_GETS * 1e6;
}

static void
bench_size(const char *base, size_t n, const struct kdf_params *kdf)
{
	char dir[CV_PATH_MAX - 64], rawdir[CV_PATH_MAX], why[512];
	struct secbuf *plain = secbuf_new(CV_RECORD_MAX), *enc;
	struct bench_rec *br = calloc(n, sizeof(*br));
	struct record *rs = calloc(n, sizeof(*rs)), r;
	struct vault *v = NULL;
	struct list_ctx l = { NULL, 0 };
	struct vault_visitor vis = { .record = list_one, .ctx = &l };
	struct bench_rec extra;
	size_t i, plain_total = 0, fsize;
	struct stat st;
	double t0, t_import, t_get, t_list, t_scan, raw_us, raw_list, t_add,
	    t_update, t_open, t_first;
	size_t *order, nfirst;
	int rc;

	snprintf(dir, sizeof(dir), "%s/vault-%zu", base, n);
	snprintf(rawdir, sizeof(rawdir), "%s/raw-%zu", base, n);
	if ((rc = vault_create(dir, "bench", kdf, "pw", 2, why, sizeof(why))))
		die(why, rc);
	if ((rc = vault_open(dir, &v, why, sizeof(why))) != 0 ||
	    (rc = vault_unlock(v, KEYSLOT_PASSPHRASE, "pw", 2, NULL)) != 0)
		die("unlock", rc);
	enc = secbuf_new(CV_RECORD_MAX);
	for (i = 0; i < n; i++) {
		bench_fill(&rs[i], &br[i], i);
		if (record_encode(&rs[i], enc) != 0)
			die("encode", CV_E_INVALID);
		plain_total += enc->len;
	}
	secbuf_free(&enc);

	t0 = now_s();
	if ((rc = vault_records_add(v, rs, n)) != 0)
		die("import", rc);
	t_import = now_s() - t0;

	t0 = now_s();
	for (i = 0; i < BENCH_GETS; i++) {
		size_t j = (size_t)randombytes_uniform((uint32_t)n);

		if ((rc = vault_record_get(v, br[j].name, plain, &r)) != 0)
			die("get", rc);
	}
	t_get = (now_s() - t0) / BENCH_GETS * 1e6;

	l.names = malloc(n * sizeof(*l.names));
	t0 = now_s();
	if ((rc = vault_record_foreach(v, &vis)) != 0)
		die("list", rc);
	t_scan = now_s() - t0;
	qsort(l.names, l.n, sizeof(*l.names), cmp_str);
	t_list = now_s() - t0;
	for (i = 0; i < l.n; i++)
		free(l.names[i]);
	free(l.names);

	/* One change at a time, as a person or the agent makes them: each a
	 * transaction of its own, synced to disk. */
	t0 = now_s();
	for (i = 0; i < BENCH_CHANGES; i++) {
		bench_fill(&r, &extra, n + i);
		if ((rc = vault_records_add(v, &r, 1)) != 0)
			die("add", rc);
	}
	t_add = (now_s() - t0) / BENCH_CHANGES * 1e3;
	t0 = now_s();
	for (i = 0; i < BENCH_CHANGES; i++) {
		size_t j = (size_t)randombytes_uniform((uint32_t)n);

		if ((rc = vault_record_update(v, br[j].name, bench_touch, NULL,
		    "bench", NULL)) != 0)
			die("update", rc);
	}
	t_update = (now_s() - t0) / BENCH_CHANGES * 1e3;
	vault_free(&v);
	/* Opening and unlocking (a trivial KDF: what the vault itself costs,
	 * its file check included). */
	t0 = now_s();
	for (i = 0; i < BENCH_OPENS; i++) {
		if ((rc = vault_open(dir, &v, why, sizeof(why))) != 0 ||
		    (rc = vault_unlock(v, KEYSLOT_PASSPHRASE, "pw", 2,
		    NULL)) != 0)
			die("reopen", rc);
		vault_free(&v);
	}
	t_open = (now_s() - t0) / BENCH_OPENS * 1e3;
	/* The first read of each record in a snapshot checks its bucket and
	 * path against the head; later reads of the same snapshot do not
	 * (what "get" above mostly measures).  Every record once, in random
	 * order, on a freshly unlocked handle. */
	if ((rc = vault_open(dir, &v, why, sizeof(why))) != 0 ||
	    (rc = vault_unlock(v, KEYSLOT_PASSPHRASE, "pw", 2, NULL)) != 0)
		die("reopen", rc);
	nfirst = n < BENCH_GETS ? n : BENCH_GETS;
	if ((order = malloc(n * sizeof(*order))) == NULL)
		die("malloc", CV_E_NOMEM);
	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n; i > 1; i--) {
		size_t j = (size_t)randombytes_uniform((uint32_t)i), tmp;

		tmp = order[i - 1];
		order[i - 1] = order[j];
		order[j] = tmp;
	}
	t0 = now_s();
	for (i = 0; i < nfirst; i++)
		if ((rc = vault_record_get(v, br[order[i]].name, plain,
		    &r)) != 0)
			die("get", rc);
	t_first = (now_s() - t0) / (double)nfirst * 1e6;
	free(order);
	vault_free(&v);

	snprintf(rawdir, sizeof(rawdir), "%s/data.mdb", dir);
	stat(rawdir, &st);
	fsize = (size_t)st.st_size;
	snprintf(rawdir, sizeof(rawdir), "%s/raw-%zu", base, n);
	raw_us = raw_get_us(rawdir, n, plain_total / n + SEAL_OVERHEAD,
	    &raw_list);

	printf("%8zu records: import %.3f s (%.2f us/record, one txn); "
	    "get %.2f us (raw %.2f us, ratio %.2f)\n", n, t_import,
	    t_import / (double)n * 1e6, t_get, raw_us, t_get / raw_us);
	printf("%8s          first get of each record after unlock %.2f us "
	    "(ratio %.2f)\n", "", t_first, t_first / raw_us);
	printf("%8s          list %.3f s (open+decode %.3f s, raw scan+open "
	    "%.3f s, ratio %.2f; sorting names %.3f s)\n", "", t_list, t_scan,
	    raw_list, t_scan / raw_list, t_list - t_scan);
	printf("%8s          one add %.3f ms, one update %.3f ms (each a "
	    "synced txn); open+unlock %.2f ms\n", "", t_add, t_update, t_open);
	printf("%8s          file %.1f MiB = %.0f B/record for %.0f B of "
	    "plaintext (ratio %.2f, audit entries included)\n", "",
	    (double)fsize / 1048576.0, (double)fsize / (double)n,
	    (double)plain_total / (double)n, (double)fsize /
	    (double)plain_total);
	fflush(stdout);
	secbuf_free(&plain);
	free(rs);
	free(br);
}

int
main(int argc, char **argv)
{
	struct kdf_params cal, fast = { 1, 1024, 1 };
	char base[] = "/tmp/cv-bench.XXXXXX", why[512], dir[CV_PATH_MAX];
	struct vault *v = NULL;
	double t0;
	int i, rc;

	if (secmem_init() != 0 || mkdtemp(base) == NULL)
		return 1;
	/* Unlock with the calibrated defaults, as `credvault init` picks. */
	if ((rc = kdf_calibrate(CV_KDF_TARGET_MS, kdf_default_parallelism(),
	    &cal)) != 0)
		die("calibrate", rc);
	snprintf(dir, sizeof(dir), "%s/unlock", base);
	if ((rc = vault_create(dir, "bench", &cal, "pw", 2, why, sizeof(why))))
		die(why, rc);
	if ((rc = vault_open(dir, &v, why, sizeof(why))) != 0)
		die(why, rc);
	t0 = now_s();
	if ((rc = vault_unlock(v, KEYSLOT_PASSPHRASE, "pw", 2, NULL)) != 0)
		die("unlock", rc);
	printf("unlock with calibrated Argon2id (m=%u MiB, t=%u, p=%u): "
	    "%.3f s\n", cal.memory_kib / 1024, cal.iterations,
	    cal.parallelism, now_s() - t0);
	vault_free(&v);

	for (i = 1; i < argc; i++)
		bench_size(base, strtoul(argv[i], NULL, 10), &fast);
	if (argc == 1) {
		bench_size(base, 10000, &fast);
		bench_size(base, 100000, &fast);
	}
	if (getenv("CV_BENCH_KEEP") == NULL) {
		pid_t pid = fork();

		if (pid == 0) {
			execl("/bin/rm", "rm", "-rf", base, (char *)NULL);
			_exit(127);
		}
	}
	return 0;
}
