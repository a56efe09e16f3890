/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the admin operations' argument checks (agent/jobs/admin_ops.c):
 * a member sends any JSON as an operation's args.  The input is
 * {"cmd": ..., "args": ...}; each runs, as from the agent, against one
 * small vault made on the first call.  Operations that cost an Argon2id
 * run or copy the vault (keyslot_*, rekey, check, backup) are left out:
 * their arguments are checked by the same helpers.
 */
/* nftw() is XSI. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent/jobs/admin_ops.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vault *fuzz_vault;
static char fuzz_dir[] = "/tmp/cv-fuzz-admin.XXXXXX";

static int
fuzz_rm(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

/* The vault goes when the fuzzer or the replay ends. */
static void
fuzz_cleanup(void)
{
	vault_free(&fuzz_vault);
	(void)nftw(fuzz_dir, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static struct vault *
fuzz_vault_open(void)
{
	static const char pass[] = "fuzz admin args";
	struct kdf_params kdf = { 1, 8, 1 };
	char *dir = fuzz_dir, state[64], why[256];

	if (fuzz_vault != NULL)
		return fuzz_vault;
	if (mkdtemp(dir) == NULL || atexit(fuzz_cleanup) != 0)
		abort();
	(void)snprintf(state, sizeof(state), "%s/state", dir);
	if (setenv("CREDVAULT_STATE_DIR", state, 1) != 0 ||
	    vault_create(dir, "fuzz", &kdf, pass, strlen(pass), why,
	    sizeof(why)) != 0 ||
	    vault_open(dir, &fuzz_vault, why, sizeof(why)) != 0 ||
	    vault_unlock(fuzz_vault, KEYSLOT_PASSPHRASE, pass, strlen(pass),
	    NULL) != 0) {
		fprintf(stderr, "fuzz_admin_args: cannot make a vault: %s\n",
		    why);
		abort();
	}
	return fuzz_vault;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const skip[] = { "keyslot_add", "keyslot_remove",
		"rekey", "check", "backup", NULL };
	struct admin_answer a;
	json_error_t jerr;
	const char *cmd, *op;
	char record[CV_NAME_MAX + 1];
	json_t *req, *args;
	size_t i;

	req = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    &jerr);
	cmd = json_string_value(json_object_get(req, "cmd"));
	args = json_object_get(req, "args");
	if (cmd == NULL) {
		json_decref(req);
		return 0;
	}
	for (i = 0; skip[i] != NULL && strcmp(skip[i], cmd) != 0; i++)
		;
	if (skip[i] == NULL &&
	    admin_ops_lookup(cmd, args, &op, record, sizeof(record)) == 0) {
		admin_ops_run(fuzz_vault_open(), cmd, args, ADMIN_OPS_REMOTE,
		    &a);
		/* An answer is a result or an error with a message. */
		if ((a.err == 0) != (a.result != NULL) ||
		    (a.err != 0 && a.detail[0] == '\0'))
			abort();
		admin_answer_clear(&a);
	}
	json_decref(req);
	return 0;
}
