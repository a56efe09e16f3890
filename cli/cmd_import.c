/* SPDX-License-Identifier: MIT */
/* credvault import: records from commercetools presets or a JSON array. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/admin.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/prompt.h"
#include "base/err.h"
#include "vault/preset.h"
#include "base/banned.h"

#define IMPORT_USAGE                                                        \
	"[NAME] --from-env FILE [--from-env FILE...] [--no-reveal] | "       \
	"--json FILE"
/* A JSON file of records: 10^5 records of about 400 bytes. */
#define IMPORT_JSON_MAX (64u << 20)
/* Through the agent, records go in requests of about this many bytes
 * (a request is at most CV_REQUEST_MAX). */
#define IMPORT_CHUNK_BYTES (CV_REQUEST_MAX - 2048)

/* "shop" from "dir/shop.env". */
static void
import_name_of(const char *file, char *name, size_t len)
{
	const char *base = strrchr(file, '/');
	size_t n;

	base = base != NULL ? base + 1 : file;
	n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".env") == 0)
		n -= 4;
	(void)snprintf(name, len, "%.*s", (int)n, base);
}

/* One preset file as a record object appended to out. */
static int
import_env(struct cli *c, const char *name, const char *file, int no_reveal,
    json_t *out)
{
	struct secbuf *text = NULL;
	const char *why;
	struct preset p;
	unsigned line;
	json_t *o;
	int rc;

	if ((rc = prompt_read_file(file, CV_ENV_FILE_MAX, &text)) != 0) {
		cli_error(c, "cannot read '%s': %s", file, cv_strerror(rc));
		return rc == CV_E_NOTFOUND || rc == CV_E_TOOBIG ||
		    rc == CV_E_INVALID ? CV_EXIT_USAGE : CV_EXIT_FAILURE;
	}
	if ((rc = preset_parse(text, &p, &line, &why)) != 0) {
		if (line > 0)
			cli_error(c, "%s:%u: %s", file, line, why);
		else if (rc == CV_E_NOTFOUND)
			cli_error(c, "%s: %s is missing", file, why);
		else
			cli_error(c, "%s: %s", file, why);
		secbuf_free(&text);
		return CV_EXIT_USAGE;
	}
	/* jansson copies the secret; the wiping allocator wipes the copy. */
	o = json_pack("{s:s,s:s,s:s,s:s,s:s%,s:s,s:s,s:s,s:b}", "name", name,
	    "provider", "commercetools", "project_key", p.project_key,
	    "client_id", p.client_id, "secret", p.secret, p.secret_len,
	    "scope", p.scope, "api_url", p.api_url, "auth_url", p.auth_url,
	    "no_reveal", no_reveal);
	secbuf_free(&text);
	if (o == NULL || json_array_append_new(out, o) != 0) {
		cli_error(c, "%s: cannot hold it in memory", file);
		return CV_EXIT_FAILURE;
	}
	return 0;
}

/* A JSON array of record objects (add's fields) appended to out. */
static int
import_json(struct cli *c, const char *file, json_t *out)
{
	struct secbuf *text = NULL;
	json_error_t jerr;
	json_t *arr;
	int rc;

	rc = strcmp(file, "-") == 0 ? prompt_read_fd(0, IMPORT_JSON_MAX,
	    &text) : prompt_read_file(file, IMPORT_JSON_MAX, &text);
	if (rc != 0) {
		cli_error(c, "cannot read '%s': %s", file, cv_strerror(rc));
		return CV_EXIT_USAGE;
	}
	arr = json_loadb((const char *)text->data, text->len,
	    JSON_REJECT_DUPLICATES, &jerr);
	secbuf_free(&text);
	if (arr == NULL || !json_is_array(arr)) {
		if (arr == NULL)
			cli_error(c, "%s:%d: %s", file, jerr.line, jerr.text);
		else
			cli_error(c, "%s: not a JSON array of records", file);
		json_decref(arr);
		return CV_EXIT_USAGE;
	}
	rc = json_array_extend(out, arr) == 0 ? 0 : CV_EXIT_FAILURE;
	json_decref(arr);
	return rc;
}

/* On a terminal, a bar that grows as chunks are stored. */
static void
import_progress(size_t done, size_t total)
{
	size_t i, w = 40, fill = total ? done * w / total : w;

	if (!isatty(2))
		return;
	fputs("\rimporting [", stderr);
	for (i = 0; i < w; i++)
		fputc(i < fill ? '#' : ' ', stderr);
	fprintf(stderr, "] %zu/%zu%s", done, total, done == total ? "\n" : "");
	fflush(stderr);
}

/* Take back chunks already stored when a later one failed. */
static void
import_undo(struct cli *c, struct cli_admin *s, const json_t *recs,
    size_t n)
{
	json_t *res;
	size_t i, left = 0;

	for (i = 0; i < n; i++) {
		if (cli_admin_call(s, "rm", json_pack("{s:O}", "name",
		    json_object_get(json_array_get(recs, i), "name")),
		    &res) != 0)
			left++;
		json_decref(res);
	}
	if (left == 0)
		cli_error(c, "the %zu records stored before the failure were "
		    "removed again: nothing was imported", n);
	else
		cli_error(c, "%zu of the records stored before the failure "
		    "could not be removed; see 'credvault list'", left);
}

/*
 * recs into the vault: on the files, one transaction; through an agent,
 * requests of IMPORT_CHUNK_BYTES, each one transaction, the earlier ones
 * removed again if a later one fails.
 */
static int
import_store(struct cli *c, json_t *recs)
{
	size_t i, start, used, total = json_array_size(recs);
	struct cli_admin *s = NULL;
	json_t *chunk, *res;
	int rc;

	if ((rc = cli_admin_begin(c, 0, &s)) != 0)
		return rc;
	for (start = 0; start < total; start = i) {
		if ((chunk = json_array()) == NULL) {
			rc = CV_EXIT_FAILURE;
			break;
		}
		for (i = start, used = 0; i < total; i++) {
			used += json_dumpb(json_array_get(recs, i), NULL, 0,
			    JSON_COMPACT) + 1;
			if (cli_admin_is_agent(s) && used > IMPORT_CHUNK_BYTES &&
			    i > start)
				break;
			(void)json_array_append(chunk, json_array_get(recs, i));
		}
		res = NULL;
		rc = cli_admin_call(s, "import", json_pack("{s:o}", "records",
		    chunk), &res);
		json_decref(res);
		if (rc != 0) {
			if (start > 0) {
				if (isatty(2))
					fputc('\n', stderr);
				import_undo(c, s, recs, start);
			}
			break;
		}
		import_progress(i, total);
	}
	cli_admin_end(&s);
	return rc;
}

int
cmd_import(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from-env", required_argument, NULL, 'f' },
		{ "json", required_argument, NULL, 'J' },
		{ "no-reveal", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *files[64] = { NULL }, *json = NULL;
	char name[CV_NAME_MAX + 1];
	size_t i, nfiles = 0;
	json_t *recs;
	int ch, rc = 0, no_reveal = 0;

	while ((ch = cli_getopt(c, argc, argv, "h", opts)) != -1) {
		if (ch == 'f' && nfiles < sizeof(files) / sizeof(files[0]))
			files[nfiles++] = optarg;
		else if (ch == 'f') {
			cli_error(c, "at most %zu --from-env files; use --json "
			    "for more", sizeof(files) / sizeof(files[0]));
			return CV_EXIT_USAGE;
		} else if (ch == 'J')
			json = optarg;
		else if (ch == 'n')
			no_reveal = 1;
		else if (ch == 'h') {
			printf("usage: credvault import %s\nStore API clients "
			    "in one go.  --from-env reads a commercetools "
			    "environment\npreset (CTP_PROJECT_KEY, "
			    "CTP_CLIENT_ID, CTP_CLIENT_SECRET, CTP_AUTH_URL,\n"
			    "CTP_API_URL, CTP_SCOPES); with one file NAME names "
			    "the record, with\nseveral each record is named after "
			    "its file (shop.env: shop).  --json reads\na JSON "
			    "array of records with add's fields (name, provider, "
			    "client_id,\nsecret, auth_url, project_key, scope, "
			    "api_url, no_reveal); '-' is stdin.\nAll records or "
			    "none are stored; on a terminal a bar shows the "
			    "progress.\n", IMPORT_USAGE);
			return 0;
		} else
			return cli_usage(c, IMPORT_USAGE);
	}
	if ((json != NULL) == (nfiles > 0) || optind + 1 < argc ||
	    (optind + 1 == argc && nfiles != 1)) {
		cli_error(c, "import takes NAME --from-env FILE, several "
		    "--from-env FILEs, or --json FILE");
		return cli_usage(c, IMPORT_USAGE);
	}
	if ((recs = json_array()) == NULL)
		return CV_EXIT_FAILURE;
	for (i = 0; i < nfiles && files[i] != NULL && rc == 0; i++) {
		if (optind + 1 == argc)
			(void)snprintf(name, sizeof(name), "%s", argv[optind]);
		else
			import_name_of(files[i], name, sizeof(name));
		rc = import_env(c, name, files[i], no_reveal, recs);
	}
	if (json != NULL)
		rc = import_json(c, json, recs);
	if (rc == 0 && json_array_size(recs) == 0) {
		cli_error(c, "%s holds no records", json);
		rc = CV_EXIT_USAGE;
	}
	if (rc == 0 && (rc = import_store(c, recs)) == 0) {
		if (optind + 1 == argc)
			fprintf(stderr, "imported '%s'; '%s' still holds the "
			    "secret: delete it (e.g. shred -u '%s')\n",
			    argv[optind], files[0], files[0]);
		else
			fprintf(stderr, "imported %zu records; the input still "
			    "holds their secrets: delete it (e.g. shred -u)\n",
			    json_array_size(recs));
	}
	json_decref(recs);
	return rc;
}
