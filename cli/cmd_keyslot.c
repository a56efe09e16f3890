/* SPDX-License-Identifier: MIT */
/* credvault keyslot add|remove|list: the unlockers of a shared vault. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cli/admin.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/kdfopts.h"
#include "cli/output.h"
#include "cli/passquality.h"
#include "cli/prompt.h"
#include "crypto/seal.h"
#include "base/err.h"
#include "base/banned.h"

#define KEYSLOT_USAGE                                                       \
	"add LABEL [--new-passphrase-file FILE | --keyfile FILE] "          \
	"[--allow-weak-passphrase] " KDFOPTS_USAGE "\n       credvault keyslot remove LABEL\n"           \
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
		{ "allow-weak-passphrase", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		KDFOPTS_LONG,
		{ NULL, 0, NULL, 0 },
	};
	const char *passfile = NULL, *keyfile = NULL, *label;
	struct secbuf *secret = NULL, *hex = NULL;
	json_t *args, *res = NULL;
	struct kdf_params kdf = { 0, 0, 0 };
	struct kdfopts ko;
	int ch, rc, allow_weak = 0;

	memset(&ko, 0, sizeof(ko));
	while ((ch = cli_getopt(c, argc, argv, "h", opts)) != -1) {
		if ((rc = kdfopts_take(c, &ko, ch, optarg)) < 0)
			return CV_EXIT_USAGE;
		if (rc > 0)
			continue;
		if (ch == 'p')
			passfile = optarg;
		else if (ch == 'k')
			keyfile = optarg;
		else if (ch == 'w')
			allow_weak = 1;
		else
			return cli_usage(c, KEYSLOT_USAGE);
	}
	if (cli_want_operands(c, argc, argv, 1, "LABEL") != 0)
		return CV_EXIT_USAGE;
	if (passfile != NULL && keyfile != NULL) {
		cli_error(c, "--new-passphrase-file and --keyfile exclude each "
		    "other");
		return cli_usage(c, KEYSLOT_USAGE);
	}
	label = argv[optind];
	if (!keyslot_label_is_valid(label)) {
		cli_error(c, "invalid label '%s': use 1-%d of A-Z a-z 0-9 . _ "
		    "@ -", label, CV_LABEL_MAX);
		return CV_EXIT_USAGE;
	}
	if (keyfile == NULL && (rc = kdfopts_resolve(c, &ko, &kdf)) != 0)
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
	if (rc == 0 && keyfile == NULL && !allow_weak &&
	    (rc = passquality_check(c, secret->data, secret->len)) != 0) {
		secbuf_free(&secret);
		return cv_exit_code(rc);
	}
	if (rc != 0) {
		secbuf_free(&secret);
		return CV_EXIT_USAGE;
	}
	/* A key file's bytes travel as hex (JSON strings are text). */
	if (keyfile != NULL) {
		if ((hex = secbuf_new(2 * secret->len + 1)) != NULL) {
			sodium_bin2hex((char *)hex->data, hex->cap, secret->data,
			    secret->len);
			hex->len = 2 * secret->len;
		}
		secbuf_free(&secret);
		secret = hex;
	}
	args = secret == NULL ? NULL : json_pack("{s:s,s:s,s:s%,s:I,s:I,s:I}",
	    "label", label, "kind", keyfile != NULL ? "keyfile" : "passphrase",
	    "secret", (const char *)secret->data, secret->len,
	    "memory_kib", (json_int_t)kdf.memory_kib,
	    "iterations", (json_int_t)kdf.iterations,
	    "parallelism", (json_int_t)kdf.parallelism);
	secbuf_free(&secret);
	if (args == NULL) {
		cli_error(c, "the new passphrase must be UTF-8 text");
		return CV_EXIT_USAGE;
	}
	if ((rc = cli_admin(c, "keyslot_add", args, &res)) == 0)
		fprintf(stderr, "added keyslot '%s'\n", label);
	json_decref(res);
	return rc;
}

static int
keyslot_remove(struct cli *c, int argc, char **argv)
{
	json_t *res = NULL;
	int rc;

	if (argc != 2)
		return cli_usage(c, KEYSLOT_USAGE);
	if ((rc = cli_admin(c, "keyslot_remove", json_pack("{s:s}", "label",
	    argv[1]), &res)) == 0)
		fprintf(stderr, "removed keyslot '%s'; run 'credvault rekey' "
		    "so a saved copy of the old key opens nothing new\n",
		    argv[1]);
	json_decref(res);
	return rc;
}

static int
keyslot_list(struct cli *c, int argc, char **argv)
{
	const json_t *slots, *si;
	json_t *res = NULL, *arr;
	const char *kind;
	size_t i;
	int json = c->json, rc;

	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		json = 1;
	else if (argc != 1)
		return cli_usage(c, KEYSLOT_USAGE);
	if ((rc = cli_admin_flags(c, "keyslot_list", NULL,
	    CLI_ADMIN_NO_UNLOCK, &res)) != 0)
		return rc;
	slots = json_object_get(res, "keyslots");
	arr = json_array();
	for (i = 0; i < json_array_size(slots); i++) {
		si = json_array_get(slots, i);
		kind = json_is_true(json_object_get(si, "corrupt")) ? "damaged" :
		    json_string_value(json_object_get(si, "kind"));
		if (json)
			json_array_append_new(arr, json_pack(
			    "{s:O,s:s,s:I,s:I,s:I}", "label",
			    json_object_get(si, "label"), "kind", kind,
			    "kdf_memory_kib", json_integer_value(
			    json_object_get(si, "memory_kib")),
			    "kdf_iterations", json_integer_value(
			    json_object_get(si, "iterations")),
			    "kdf_parallelism", json_integer_value(
			    json_object_get(si, "parallelism"))));
		else if (strcmp(kind, "passphrase") == 0)
			printf("%-24s passphrase  argon2id m=%lld MiB t=%lld "
			    "p=%lld\n", json_string_value(json_object_get(si,
			    "label")), (long long)json_integer_value(
			    json_object_get(si, "memory_kib")) / 1024,
			    (long long)json_integer_value(json_object_get(si,
			    "iterations")), (long long)json_integer_value(
			    json_object_get(si, "parallelism")));
		else
			printf("%-24s %s\n", json_string_value(
			    json_object_get(si, "label")), kind);
	}
	if (json)
		output_json(arr);
	json_decref(arr);
	json_decref(res);
	return 0;
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
