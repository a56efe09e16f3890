/* SPDX-License-Identifier: MIT */
/* credvault keyslot add|remove|list: the unlockers of a shared vault. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/commands.h"
#include "cli/kdfopts.h"
#include "cli/output.h"
#include "cli/prompt.h"
#include "crypto/seal.h"
#include "base/err.h"
#include "base/banned.h"

#define KEYSLOT_USAGE                                                       \
	"add LABEL [--new-passphrase-file FILE | --keyfile FILE] "          \
	KDFOPTS_USAGE "\n       credvault keyslot remove LABEL\n"           \
	"       credvault keyslot list [--json]"
#define KEYFILE_NEW_BYTES 32

/* Read an existing key file, or create one with fresh random bytes. */
static int
keyslot_keyfile(const struct cli *c, const char *path, struct secbuf **out)
{
	unsigned char key[KEYFILE_NEW_BYTES];
	int fd, rc;

	rc = prompt_read_file(path, CV_KEYFILE_MAX, out);
	if (rc != CV_E_NOTFOUND) {
		if (rc != 0)
			cli_error(c, "cannot read key file '%s': %s", path,
			    cv_strerror(rc));
		else if ((*out)->len < CV_KEYFILE_MIN) {
			cli_error(c, "key file '%s' is shorter than %d bytes",
			    path, CV_KEYFILE_MIN);
			secbuf_free(out);
			rc = CV_E_INVALID;
		}
		return rc;
	}
	/* O_EXCL with mode 0600: never create, then chmod. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0) {
		cli_error(c, "cannot create key file '%s': %s", path,
		    strerror(errno));
		return CV_E_IO;
	}
	seal_random(key, sizeof(key));
	if (write(fd, key, sizeof(key)) != (ssize_t)sizeof(key) ||
	    fsync(fd) != 0) {
		cli_error(c, "cannot write key file '%s': %s", path,
		    strerror(errno));
		close(fd);
		unlink(path);
		secmem_wipe(key, sizeof(key));
		return CV_E_IO;
	}
	close(fd);
	*out = secbuf_dup(key, sizeof(key));
	secmem_wipe(key, sizeof(key));
	if (*out == NULL)
		return CV_E_NOMEM;
	fprintf(stderr, "created key file '%s'\n", path);
	return 0;
}

static int
keyslot_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "new-passphrase-file", required_argument, NULL, 'p' },
		{ "keyfile", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		KDFOPTS_LONG,
		{ NULL, 0, NULL, 0 },
	};
	const char *passfile = NULL, *keyfile = NULL, *label;
	struct secbuf *secret = NULL;
	struct vault *v = NULL;
	struct kdf_params kdf = { 0, 0, 0 };
	struct kdfopts ko;
	int ch, rc;

	memset(&ko, 0, sizeof(ko));
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if ((rc = kdfopts_take(c, &ko, ch, optarg)) < 0)
			return CV_EXIT_USAGE;
		if (rc > 0)
			continue;
		if (ch == 'p')
			passfile = optarg;
		else if (ch == 'k')
			keyfile = optarg;
		else
			return cli_usage(c, KEYSLOT_USAGE);
	}
	if (optind + 1 != argc || (passfile != NULL && keyfile != NULL))
		return cli_usage(c, KEYSLOT_USAGE);
	label = argv[optind];
	if (!keyslot_label_is_valid(label)) {
		cli_error(c, "invalid label '%s': use 1-%d of A-Z a-z 0-9 . _ "
		    "@ -", label, CV_LABEL_MAX);
		return CV_EXIT_USAGE;
	}
	if (keyfile == NULL && (rc = kdfopts_resolve(c, &ko, &kdf)) != 0)
		return rc;
	if ((rc = cli_open_unlocked(c, &v)) != 0)
		return rc;
	if (keyfile != NULL)
		rc = keyslot_keyfile(c, keyfile, &secret);
	else if (passfile != NULL) {
		rc = prompt_read_file(passfile, CV_PASSPHRASE_MAX, &secret);
		if (rc != 0)
			cli_error(c, "cannot read '%s': %s", passfile,
			    cv_strerror(rc));
	} else {
		rc = prompt_tty("Passphrase for the new keyslot: ", 1,
		    CV_PASSPHRASE_MAX, &secret);
		if (rc != 0)
			cli_error(c, "cannot read the new passphrase: %s; use "
			    "--new-passphrase-file FILE", cv_strerror(rc));
	}
	if (rc == 0 && keyfile == NULL && secret->len == 0) {
		cli_error(c, "the new passphrase is empty");
		rc = CV_E_INVALID;
	}
	if (rc != 0) {
		secbuf_free(&secret);
		vault_free(&v);
		return CV_EXIT_USAGE;
	}
	rc = vault_keyslot_add(v, keyfile != NULL ? KEYSLOT_KEYFILE :
	    KEYSLOT_PASSPHRASE, label, &kdf, secret->data, secret->len);
	secbuf_free(&secret);
	if (rc == CV_E_EXISTS) {
		cli_error(c, "keyslot '%s' already exists; remove it first or "
		    "pick another label", label);
		rc = CV_EXIT_FAILURE;
	} else if (rc != 0)
		rc = cli_fail(c, v, rc, "add the keyslot");
	else
		fprintf(stderr, "added keyslot '%s'\n", label);
	vault_free(&v);
	return rc;
}

static int
keyslot_remove(struct cli *c, int argc, char **argv)
{
	struct vault *v = NULL;
	int rc;

	if (argc != 2)
		return cli_usage(c, KEYSLOT_USAGE);
	if ((rc = cli_open_unlocked(c, &v)) != 0)
		return rc;
	rc = vault_keyslot_remove(v, argv[1]);
	if (rc != 0)
		rc = cli_fail(c, v, rc, "remove the keyslot");
	else
		fprintf(stderr, "removed keyslot '%s'; run 'credvault rekey' "
		    "so a saved copy of the old key opens nothing new\n",
		    argv[1]);
	vault_free(&v);
	return rc;
}

struct slot_print {
	int json;
	json_t *arr;
};

static int
keyslot_print(const struct vault_slot_info *si, void *arg)
{
	struct slot_print *p = arg;
	const char *kind = si->corrupt ? "damaged" :
	    si->kind == KEYSLOT_KEYFILE ? "keyfile" : "passphrase";

	if (p->json)
		json_array_append_new(p->arr, json_pack(
		    "{s:s,s:s,s:I,s:I,s:I}", "label", si->label, "kind", kind,
		    "kdf_memory_kib", (json_int_t)si->kdf.memory_kib,
		    "kdf_iterations", (json_int_t)si->kdf.iterations,
		    "kdf_parallelism", (json_int_t)si->kdf.parallelism));
	else if (si->kind == KEYSLOT_PASSPHRASE && !si->corrupt)
		printf("%-24s passphrase  argon2id m=%u MiB t=%u p=%u\n",
		    si->label, si->kdf.memory_kib / 1024, si->kdf.iterations,
		    si->kdf.parallelism);
	else
		printf("%-24s %s\n", si->label, kind);
	return 0;
}

static int
keyslot_list(struct cli *c, int argc, char **argv)
{
	struct slot_print p = { c->json, NULL };
	struct vault *v = NULL;
	int rc;

	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		p.json = 1;
	else if (argc != 1)
		return cli_usage(c, KEYSLOT_USAGE);
	/* Listing needs no unlock: labels and costs are not secret. */
	if ((rc = cli_open_locked(c, &v)) != 0)
		return rc;
	if (p.json)
		p.arr = json_array();
	rc = vault_keyslot_list(v, keyslot_print, &p);
	if (rc == 0 && p.json)
		output_json(p.arr);
	json_decref(p.arr);
	if (rc != 0)
		rc = cli_fail(c, v, rc, "list keyslots");
	vault_free(&v);
	return rc;
}

int
cmd_keyslot(struct cli *c, int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		printf("usage: credvault keyslot %s\nEach team member or "
		    "unattended service unlocks with its own keyslot.\nA key "
		    "file that does not exist is created with %d random "
		    "bytes.\n", KEYSLOT_USAGE, KEYFILE_NEW_BYTES);
		return 0;
	}
	if (argc < 2)
		return cli_usage(c, KEYSLOT_USAGE);
	if (strcmp(argv[1], "add") == 0)
		return keyslot_add(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "remove") == 0)
		return keyslot_remove(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return keyslot_list(c, argc - 1, argv + 1);
	return cli_usage(c, KEYSLOT_USAGE);
}
