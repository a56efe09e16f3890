/* SPDX-License-Identifier: MIT */
/* hooks.d stack files: safe loading, parsing, and PAM-style evaluation. */
#include "hooks/stack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "base/err.h"
#include "base/banned.h"

#define STACK_TOKENS_MAX (4 + CV_STACK_ARGS_MAX) /* phase control module pin */
#define STACK_QUOTE_MAX 40                      /* token bytes in messages */
#define STACK_FILE_NAME_MAX 255                 /* NAME_MAX on Linux */

static const char *const stack_controls[] = {
	[STACK_REQUIRED] = "required",
	[STACK_REQUISITE] = "requisite",
	[STACK_SUFFICIENT] = "sufficient",
	[STACK_OPTIONAL] = "optional",
};

/* A token fit for a message: printable ASCII, at most STACK_QUOTE_MAX. */
static const char *
stack_quote(const char *s, char *dst, size_t dstlen)
{
	size_t i, n = 0;

	for (i = 0; s[i] != '\0' && n + 4 < dstlen; i++) {
		if (i == STACK_QUOTE_MAX) {
			memcpy(dst + n, "...", 3);
			n += 3;
			break;
		}
		dst[n++] = (char)((s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?');
	}
	dst[n] = '\0';
	return dst;
}

const char *
stack_control_name(enum stack_control c)
{
	return (unsigned)c < sizeof(stack_controls) / sizeof(stack_controls[0]) ?
	    stack_controls[c] : NULL;
}

void
stack_free(struct stack **stp)
{
	if (stp == NULL || *stp == NULL)
		return;
	free((*stp)->file);
	free((*stp)->text);
	free(*stp);
	*stp = NULL;
}

int
stack_has_phase(const struct stack *st, enum proto_phase phase)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (st->entries[i].phase == phase)
			return 1;
	return 0;
}

/* ---- parsing ---------------------------------------------------------- */

/* Check one line's bytes and split it in place into NUL-ended tokens. */
static int
stack_tokenize(char *line, size_t len, char **tok, size_t *ntok,
    const char *file, unsigned lineno, char *why, size_t whylen)
{
	size_t i;
	char *hash;

	*ntok = 0;
	if (len > CV_STACK_LINE_MAX) {
		cv_why(why, whylen, "%s:%u: line is longer than %u bytes",
		    file, lineno, (unsigned)CV_STACK_LINE_MAX);
		return CV_E_TOOBIG;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			cv_why(why, whylen, "%s:%u: control character 0x%02x",
			    file, lineno, c);
			return CV_E_INVALID;
		}
	}
	line[len] = '\0';
	/* Like pam.conf(5): '#' starts a comment anywhere on the line. */
	if ((hash = strchr(line, '#')) != NULL)
		*hash = '\0';
	for (i = 0; line[i] != '\0';) {
		if (line[i] == ' ' || line[i] == '\t') {
			line[i++] = '\0';
			continue;
		}
		if (*ntok == STACK_TOKENS_MAX) {
			cv_why(why, whylen, "%s:%u: more than %u arguments",
			    file, lineno, (unsigned)CV_STACK_ARGS_MAX);
			return CV_E_INVALID;
		}
		tok[(*ntok)++] = line + i;
		while (line[i] != '\0' && line[i] != ' ' && line[i] != '\t')
			i++;
	}
	return 0;
}

/*
 * The arguments of the built-in `passphrase` module (admin lines only):
 * timestamp=SEC, how long a proof holds (default STACK_PASSPHRASE_TS_S,
 * at most a day; 0 asks every time), and keyslot=user (the default: the
 * keyslot named after the peer's user) or keyslot=any.
 */
static int
stack_parse_passphrase(struct stack_entry *e, char *why, size_t whylen)
{
	unsigned long v;
	char *end;
	size_t i;

	e->pass.timestamp_s = STACK_PASSPHRASE_TS_S;
	e->pass.any_keyslot = 0;
	if (e->phase != PROTO_ADMIN) {
		cv_why(why, whylen, "passphrase: for admin lines only");
		return CV_E_INVALID;
	}
	for (i = 0; i < e->nargs; i++) {
		if (strncmp(e->args[i], "timestamp=", 10) == 0) {
			errno = 0;
			v = strtoul(e->args[i] + 10, &end, 10);
			if (e->args[i][10] < '0' || e->args[i][10] > '9' ||
			    *end != '\0' || errno != 0 ||
			    v > STACK_PASSPHRASE_TS_MAX_S) {
				cv_why(why, whylen, "passphrase: bad "
				    "timestamp= (want 0..%u seconds)",
				    (unsigned)STACK_PASSPHRASE_TS_MAX_S);
				return CV_E_INVALID;
			}
			e->pass.timestamp_s = (unsigned)v;
		} else if (strcmp(e->args[i], "keyslot=user") == 0) {
			e->pass.any_keyslot = 0;
		} else if (strcmp(e->args[i], "keyslot=any") == 0) {
			e->pass.any_keyslot = 1;
		} else {
			cv_why(why, whylen, "passphrase: unknown argument "
			    "(want timestamp=SEC or keyslot=user|any)");
			return CV_E_INVALID;
		}
	}
	return 0;
}

/* Fill e from the tokens of one non-empty line. */
static int
stack_parse_entry(struct stack_entry *e, char **tok, size_t ntok,
    const char *file, unsigned lineno, char *why, size_t whylen)
{
	char q[STACK_QUOTE_MAX + 8], reason[CV_HOOK_REASON_MAX];
	const char *hex, *end = NULL;
	size_t i, first_arg = 3, binlen = 0;
	unsigned c;

	memset(e, 0, sizeof(*e));
	e->line = lineno;
	if (ntok < 3) {
		cv_why(why, whylen, "%s:%u: want 'phase control module "
		    "[arguments]'", file, lineno);
		return CV_E_INVALID;
	}
	if (proto_phase_parse(tok[0], strlen(tok[0]), &e->phase) != 0) {
		cv_why(why, whylen, "%s:%u: unknown phase '%s' (want "
		    "authorize, mint, rotate, retire, notify or admin)", file,
		    lineno,
		    stack_quote(tok[0], q, sizeof(q)));
		return CV_E_INVALID;
	}
	for (c = 0; c < sizeof(stack_controls) / sizeof(stack_controls[0]); c++)
		if (strcmp(tok[1], stack_controls[c]) == 0)
			break;
	if (c == sizeof(stack_controls) / sizeof(stack_controls[0])) {
		cv_why(why, whylen, "%s:%u: unknown control '%s' (want "
		    "required, requisite, sufficient or optional)", file, lineno,
		    stack_quote(tok[1], q, sizeof(q)));
		return CV_E_INVALID;
	}
	e->control = (enum stack_control)c;
	e->path = tok[2];
	if (strcmp(tok[2], "peer") == 0) {
		e->module = STACK_MODULE_PEER;
	} else if (strcmp(tok[2], "passphrase") == 0) {
		e->module = STACK_MODULE_PASSPHRASE;
	} else if (tok[2][0] == '/') {
		e->module = STACK_MODULE_EXEC;
	} else {
		cv_why(why, whylen, "%s:%u: module '%s' is neither a "
		    "built-in (peer, passphrase) nor an absolute path", file,
		    lineno, stack_quote(tok[2], q, sizeof(q)));
		return CV_E_INVALID;
	}
	if (ntok > 3 && strncmp(tok[3], "sha256=", 7) == 0) {
		hex = tok[3] + 7;
		if (e->module != STACK_MODULE_EXEC) {
			cv_why(why, whylen, "%s:%u: a sha256 pin applies "
			    "only to executables", file, lineno);
			return CV_E_INVALID;
		}
		if (strlen(hex) != 2 * EXEC_SHA256_BYTES ||
		    sodium_hex2bin(e->sha256, sizeof(e->sha256), hex,
		    strlen(hex), NULL, &binlen, &end) != 0 ||
		    binlen != sizeof(e->sha256) || *end != '\0') {
			cv_why(why, whylen, "%s:%u: bad sha256 pin (want "
			    "64 hexadecimal digits)", file, lineno);
			return CV_E_INVALID;
		}
		e->pinned = 1;
		first_arg = 4;
	}
	if (ntok - first_arg > CV_STACK_ARGS_MAX) {
		cv_why(why, whylen, "%s:%u: more than %u arguments", file,
		    lineno, (unsigned)CV_STACK_ARGS_MAX);
		return CV_E_INVALID;
	}
	for (i = first_arg; i < ntok; i++)
		e->args[e->nargs++] = tok[i];
	if (e->module == STACK_MODULE_PEER &&
	    peer_rule_parse(&e->peer, e->args, e->nargs, reason,
	    sizeof(reason)) != 0) {
		cv_why(why, whylen, "%s:%u: %s", file, lineno, reason);
		return CV_E_INVALID;
	}
	if (e->module == STACK_MODULE_PEER && e->phase != PROTO_ADMIN &&
	    (e->peer.ops != NULL || e->peer.records != NULL)) {
		cv_why(why, whylen, "%s:%u: ops= and records= are for admin "
		    "lines", file, lineno);
		return CV_E_INVALID;
	}
	if (e->module == STACK_MODULE_PASSPHRASE &&
	    stack_parse_passphrase(e, reason, sizeof(reason)) != 0) {
		cv_why(why, whylen, "%s:%u: %s", file, lineno, reason);
		return CV_E_INVALID;
	}
	return 0;
}

int
stack_parse(const char *text, size_t len, const char *file,
    struct stack **out, char *why, size_t whylen)
{
	struct stack *st = NULL;
	char *tok[STACK_TOKENS_MAX], *line, *nl, *end;
	size_t ntok;
	unsigned lineno = 0;
	int r;

	*out = NULL;
	cv_why(why, whylen, "%s", "");
	if (len > CV_STACK_FILE_MAX) {
		cv_why(why, whylen, "%s: larger than %u bytes", file,
		    (unsigned)CV_STACK_FILE_MAX);
		return CV_E_TOOBIG;
	}
	r = CV_E_NOMEM;
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->file = strdup(file)) == NULL ||
	    (st->text = malloc(len + 1)) == NULL)
		goto out;
	if (len > 0)
		memcpy(st->text, text, len);
	st->text[len] = '\0';
	end = st->text + len;
	for (line = st->text; line < end; line = nl + 1) {
		lineno++;
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		if ((r = stack_tokenize(line, (size_t)(nl - line), tok, &ntok,
		    file, lineno, why, whylen)) != 0)
			goto out;
		if (ntok == 0)
			continue;
		if (st->n == CV_STACK_LINES_MAX) {
			cv_why(why, whylen, "%s:%u: more than %u modules",
			    file, lineno, (unsigned)CV_STACK_LINES_MAX);
			r = CV_E_TOOBIG;
			goto out;
		}
		if ((r = stack_parse_entry(&st->entries[st->n], tok, ntok,
		    file, lineno, why, whylen)) != 0)
			goto out;
		st->n++;
	}
	*out = st;
	st = NULL; /* transferred */
	r = 0;
out:
	stack_free(&st);
	return r;
}

/* ---- loading ---------------------------------------------------------- */

/*
 * The file name for a record: the name checked against DESIGN.md's
 * [a-z0-9][a-z0-9._/-]{0,127}, each '/' written as "%2F" ('%' cannot occur
 * in a name, so the mapping is one-to-one and never leaves the directory).
 */
static int
stack_file_name(const char *record, char *dst, size_t dstlen)
{
	size_t i, n = 0;
	char c;

	if (record == NULL || record[0] == '\0' ||
	    strnlen(record, CV_NAME_MAX + 1) > CV_NAME_MAX)
		return CV_E_INVALID;
	for (i = 0; record[i] != '\0'; i++) {
		c = record[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (i > 0 && (c == '.' || c == '_' || c == '/' || c == '-'))))
			return CV_E_INVALID;
		if (n + 4 > dstlen || n + 3 > STACK_FILE_NAME_MAX)
			return CV_E_INVALID;
		if (c == '/') {
			memcpy(dst + n, "%2F", 3);
			n += 3;
		} else {
			dst[n++] = c;
		}
	}
	dst[n] = '\0';
	return 0;
}

/* Read a whole stack file from fd after checking what it is. */
static int
stack_read_fd(int fd, uid_t owner, const char *label, char *buf,
    size_t *len, char *why, size_t whylen)
{
	struct stat st;
	ssize_t n;
	char eb[128];

	*len = 0;
	if (fstat(fd, &st) != 0) {
		(void)strerror_r(errno, eb, sizeof(eb));
		cv_why(why, whylen, "stack file '%s': %s", label, eb);
		return CV_E_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		cv_why(why, whylen, "stack file '%s' refused: not a regular "
		    "file", label);
		return CV_E_PERM;
	}
	if (st.st_uid != 0 && st.st_uid != owner) {
		cv_why(why, whylen, "stack file '%s' refused: owned by uid "
		    "%lu, not by root or uid %lu", label,
		    (unsigned long)st.st_uid, (unsigned long)owner);
		return CV_E_PERM;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		cv_why(why, whylen, "stack file '%s' refused: writable by %s",
		    label, (st.st_mode & S_IWOTH) != 0 ? "others" : "its group");
		return CV_E_PERM;
	}
	/* Read one byte more than allowed to notice growth since fstat(). */
	while (*len <= CV_STACK_FILE_MAX) {
		n = read(fd, buf + *len, CV_STACK_FILE_MAX + 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			(void)strerror_r(errno, eb, sizeof(eb));
			cv_why(why, whylen, "stack file '%s': %s", label, eb);
			return CV_E_IO;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	if (*len > CV_STACK_FILE_MAX) {
		cv_why(why, whylen, "stack file '%s' is larger than %u bytes",
		    label, (unsigned)CV_STACK_FILE_MAX);
		return CV_E_TOOBIG;
	}
	return 0;
}

/* Load hooksdir/name (else hooksdir/default, with fallback). */
static int
stack_load_named(const char *hooksdir, char name[STACK_FILE_NAME_MAX + 1],
    int fallback, uid_t owner, struct stack **out, char *why, size_t whylen)
{
	char label[CV_PATH_MAX + 16];
	char reason[CV_HOOK_REASON_MAX], eb[128], *buf = NULL;
	struct exec_checked chk;
	struct stat st;
	size_t len = 0;
	int dfd = -1, fd = -1, r, e;

	if ((r = exec_path_check(hooksdir, owner, EXEC_PATH_DIR, &chk, reason,
	    sizeof(reason))) != 0) {
		cv_why(why, whylen, "hooks directory '%s' %s: %s", hooksdir,
		    r == CV_E_NOTFOUND ? "missing" : "refused", reason);
		return r;
	}
	dfd = open(chk.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &st) != 0 || st.st_dev != chk.dev ||
	    st.st_ino != chk.ino) {
		cv_why(why, whylen, "hooks directory '%s' changed while "
		    "being checked", hooksdir);
		r = CV_E_PERM;
		goto out;
	}
	/* O_NONBLOCK: a FIFO planted here must not hang us (fstat rejects it). */
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
	    O_NOCTTY);
	if (fd < 0 && errno == ENOENT && fallback) {
		memcpy(name, "default", sizeof("default"));
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
		    O_NONBLOCK | O_NOCTTY);
	}
	(void)snprintf(label, sizeof(label), "%s/%s", hooksdir, name);
	if (fd < 0) {
		e = errno;
		(void)strerror_r(e, eb, sizeof(eb));
		cv_why(why, whylen, "stack file '%s': %s", label,
		    e == ELOOP ? "is a symbolic link" : eb);
		r = e == ENOENT ? CV_E_NOTFOUND : e == ELOOP ? CV_E_PERM :
		    CV_E_IO;
		goto out;
	}
	r = CV_E_NOMEM;
	if ((buf = malloc(CV_STACK_FILE_MAX + 1)) == NULL)
		goto out;
	if ((r = stack_read_fd(fd, owner, label, buf, &len, why, whylen)) != 0)
		goto out;
	r = stack_parse(buf, len, label, out, why, whylen);
out:
	free(buf);
	if (fd >= 0)
		(void)close(fd);
	if (dfd >= 0)
		(void)close(dfd);
	return r;
}

int
stack_load(const char *hooksdir, const char *record, uid_t owner,
    struct stack **out, char *why, size_t whylen)
{
	char name[STACK_FILE_NAME_MAX + 1];

	*out = NULL;
	cv_why(why, whylen, "%s", "");
	if (stack_file_name(record, name, sizeof(name)) != 0) {
		cv_why(why, whylen, "record name cannot name a stack file");
		return CV_E_INVALID;
	}
	return stack_load_named(hooksdir, name, 1, owner, out, why, whylen);
}

int
stack_load_file(const char *hooksdir, const char *file, uid_t owner,
    struct stack **out, char *why, size_t whylen)
{
	char name[STACK_FILE_NAME_MAX + 1];
	size_t n = strnlen(file, sizeof(name));

	*out = NULL;
	cv_why(why, whylen, "%s", "");
	if (n == 0 || n >= sizeof(name) || strchr(file, '/') != NULL ||
	    strcmp(file, ".") == 0 || strcmp(file, "..") == 0) {
		cv_why(why, whylen, "'%s' cannot name a stack file", file);
		return CV_E_INVALID;
	}
	memcpy(name, file, n + 1);
	return stack_load_named(hooksdir, name, 0, owner, out, why, whylen);
}

int
stack_record_of_file(const char *file, char *record, size_t recordlen)
{
	char back[STACK_FILE_NAME_MAX + 1];
	size_t i, n = 0;

	if (recordlen == 0)
		return CV_E_INVALID;
	record[0] = '\0';
	for (i = 0; file[i] != '\0'; i++) {
		if (n + 1 >= recordlen)
			return CV_E_INVALID;
		if (strncmp(file + i, "%2F", 3) == 0) {
			record[n++] = '/';
			i += 2;
		} else {
			record[n++] = file[i];
		}
	}
	record[n] = '\0';
	/* One-to-one: the record's own file name must be this one. */
	if (stack_file_name(record, back, sizeof(back)) != 0 ||
	    strcmp(back, file) != 0) {
		record[0] = '\0';
		return CV_E_INVALID;
	}
	return 0;
}

int
stack_load_admin(const char *hooksdir, uid_t owner, struct stack **out,
    char *why, size_t whylen)
{
	char name[STACK_FILE_NAME_MAX + 1] = "admin";

	*out = NULL;
	cv_why(why, whylen, "%s", "");
	return stack_load_named(hooksdir, name, 0, owner, out, why, whylen);
}

/* ---- evaluation ------------------------------------------------------- */

/* The actions pam.conf(5) gives the four keywords. */
enum stack_action { STACK_ACT_IGNORE, STACK_ACT_OK, STACK_ACT_DONE,
	STACK_ACT_BAD, STACK_ACT_DIE };

/*
 * required   [success=ok new_authtok_reqd=ok ignore=ignore default=bad]
 * requisite  [success=ok new_authtok_reqd=ok ignore=ignore default=die]
 * sufficient [success=done new_authtok_reqd=done default=ignore]
 * optional   [success=ok new_authtok_reqd=ok default=ignore]
 * FAIL and ERROR both fall under "default".
 */
static enum stack_action
stack_action(enum stack_control c, enum proto_result r)
{
	if (r == PROTO_SUCCESS)
		return c == STACK_SUFFICIENT ? STACK_ACT_DONE : STACK_ACT_OK;
	switch (c) {
	case STACK_REQUIRED:
		return r == PROTO_IGNORE ? STACK_ACT_IGNORE : STACK_ACT_BAD;
	case STACK_REQUISITE:
		return r == PROTO_IGNORE ? STACK_ACT_IGNORE : STACK_ACT_DIE;
	case STACK_SUFFICIENT:
	case STACK_OPTIONAL:
		break;
	}
	return STACK_ACT_IGNORE;
}

void
stack_verdict_clear(struct stack_verdict *v)
{
	if (v == NULL)
		return;
	secbuf_free(&v->reply);
	memset(v, 0, sizeof(*v));
	v->result = PROTO_FAIL;
	v->decisive = SIZE_MAX;
}

void
stack_eval(const struct stack *st, enum proto_phase phase,
    const struct stack_runner *runner, struct stack_verdict *v)
{
	/* _pam_dispatch_aux()'s "impression" and "status". */
	enum { UNDEF, POSITIVE, NEGATIVE } impression = UNDEF;
	enum proto_result status = PROTO_FAIL, r;
	enum stack_action act;
	const struct stack_entry *e;
	struct secbuf *reply;
	char why[CV_HOOK_REASON_MAX], note[CV_HOOK_REASON_MAX];
	size_t i;
	int stop = 0;

	memset(v, 0, sizeof(*v));
	v->decisive = SIZE_MAX;
	note[0] = '\0';
	for (i = 0; i < st->n && !stop; i++) {
		e = &st->entries[i];
		if (e->phase != phase)
			continue;
		reply = NULL;
		why[0] = '\0';
		r = runner->run(runner->arg, e, &reply, why, sizeof(why));
		v->ran++;
		if ((unsigned)r > PROTO_ERROR)
			r = PROTO_ERROR;
		if (why[0] == '\0' && r != PROTO_SUCCESS)
			cv_why(why, sizeof(why), "%s: %s", e->path,
			    proto_result_name(r));
		act = stack_action(e->control, r);
		switch (act) {
		case STACK_ACT_OK:
		case STACK_ACT_DONE:
			if (impression == NEGATIVE)
				break; /* an earlier failure stands */
			impression = POSITIVE;
			status = PROTO_SUCCESS;
			if (v->reply == NULL && reply != NULL) {
				v->reply = reply;
				reply = NULL; /* transferred */
				v->decisive = i;
			}
			stop = act == STACK_ACT_DONE;
			break;
		case STACK_ACT_BAD:
		case STACK_ACT_DIE:
			if (impression != NEGATIVE) {
				/* The first failure decides the status. */
				impression = NEGATIVE;
				status = r;
				secbuf_free(&v->reply);
				v->reply = reply;
				reply = NULL; /* transferred */
				v->decisive = i;
				cv_why(v->reason, sizeof(v->reason),
				    "%s:%u: %s", st->file, e->line, why);
			}
			stop = act == STACK_ACT_DIE;
			break;
		case STACK_ACT_IGNORE:
			if (r != PROTO_IGNORE && note[0] == '\0')
				cv_why(note, sizeof(note), "%s:%u: %s",
				    st->file, e->line, why);
			break;
		}
		secbuf_free(&reply);
	}
	secmem_wipe(why, sizeof(why));
	if (impression == POSITIVE) {
		v->result = PROTO_SUCCESS;
		return;
	}
	if (impression == NEGATIVE) {
		v->result = status;
		return;
	}
	/* Nothing succeeded and nothing failed that counts: still deny. */
	v->result = PROTO_FAIL;
	if (v->ran == 0)
		cv_why(v->reason, sizeof(v->reason), "%s: no module for "
		    "phase '%s'", st->file, proto_phase_name(phase));
	else if (note[0] != '\0')
		cv_why(v->reason, sizeof(v->reason), "no module succeeded; "
		    "%s", note);
	else
		cv_why(v->reason, sizeof(v->reason), "%s: every module "
		    "of phase '%s' ignored the request", st->file,
		    proto_phase_name(phase));
}
