/* SPDX-License-Identifier: MIT */
/* Test tool playing an attacker with write access to the vault files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/err.h"
#include "vault/store.h"
#include "base/banned.h"

/*
 * cv_tamper DIR list DB              keys (hex) and value sizes
 * cv_tamper DIR get DB KEY           value as hex
 * cv_tamper DIR put DB KEY HEX       set a value
 * cv_tamper DIR del DB KEY           delete an entry
 * cv_tamper DIR flip DB KEY OFFSET   xor one byte of a value with 0x01
 * DB is meta, records or audit; KEY is hex.
 */

#define TAMPER_MAX 65536

struct tamper {
	enum store_db db;
	const char *op;
	unsigned char key[512];
	size_t klen;
	unsigned char val[TAMPER_MAX];
	size_t vlen;
	size_t offset;
};

static int
tamper_list_one(const void *k, size_t kl, const void *v, size_t vl,
    void *ctx)
{
	char hex[1025];

	(void)v;
	(void)ctx;
	sodium_bin2hex(hex, sizeof(hex), k, kl > 512 ? 512 : kl);
	printf("%s %zu\n", hex, vl);
	return 0;
}

static int
tamper_txn(struct store_txn *t, void *arg)
{
	struct tamper *a = arg;
	unsigned char cur[TAMPER_MAX];
	char hex[2 * TAMPER_MAX + 1];
	size_t n;
	int rc;

	if (strcmp(a->op, "list") == 0)
		return store_scan(t, a->db, NULL, 0, tamper_list_one, NULL);
	if (strcmp(a->op, "put") == 0)
		return store_put(t, a->db, a->key, a->klen, a->val, a->vlen, 0);
	if (strcmp(a->op, "del") == 0)
		return store_del(t, a->db, a->key, a->klen);
	if ((rc = store_get(t, a->db, a->key, a->klen, cur, sizeof(cur),
	    &n)) != 0)
		return rc;
	if (strcmp(a->op, "get") == 0) {
		sodium_bin2hex(hex, sizeof(hex), cur, n);
		printf("%s\n", hex);
		return 0;
	}
	if (strcmp(a->op, "flip") == 0) {
		if (a->offset >= n)
			return CV_E_INVALID;
		cur[a->offset] ^= 0x01;
		return store_put(t, a->db, a->key, a->klen, cur, n, 0);
	}
	return CV_E_USAGE;
}

static int
tamper_hex(const char *s, unsigned char *out, size_t cap, size_t *len)
{
	return sodium_hex2bin(out, cap, s, strlen(s), NULL, len, NULL);
}

int
main(int argc, char **argv)
{
	static struct tamper a;
	struct store *s = NULL;
	char why[256];
	int rc;

	if (argc < 4 || sodium_init() < 0) {
		fprintf(stderr, "usage: cv_tamper DIR list|get|put|del|flip DB "
		    "[KEY [HEX|OFFSET]]\n");
		return 2;
	}
	a.op = argv[2];
	if (strcmp(argv[3], "meta") == 0)
		a.db = STORE_META;
	else if (strcmp(argv[3], "records") == 0)
		a.db = STORE_RECORDS;
	else if (strcmp(argv[3], "audit") == 0)
		a.db = STORE_AUDIT;
	else
		return 2;
	if (argc > 4 && tamper_hex(argv[4], a.key, sizeof(a.key), &a.klen))
		return 2;
	if (argc > 5 && strcmp(a.op, "put") == 0 &&
	    tamper_hex(argv[5], a.val, sizeof(a.val), &a.vlen))
		return 2;
	if (argc > 5 && strcmp(a.op, "flip") == 0)
		a.offset = strtoul(argv[5], NULL, 10);
	if ((rc = store_open(argv[1], 0, 0600, &s, why, sizeof(why))) != 0) {
		fprintf(stderr, "cv_tamper: open: %s\n", why);
		return 1;
	}
	rc = strcmp(a.op, "list") == 0 || strcmp(a.op, "get") == 0 ?
	    store_read(s, tamper_txn, &a) : store_write(s, tamper_txn, &a);
	store_free(&s);
	if (rc != 0) {
		fprintf(stderr, "cv_tamper: %s: %s\n", a.op, cv_strerror(rc));
		return 1;
	}
	return 0;
}
