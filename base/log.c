/* SPDX-License-Identifier: MIT */
/* Log lines to stderr, a file, syslog or a sink, one write each. */
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/banned.h"

#define LOG_LINE_MAX 2048
#define LOG_PATH_MAX 4096
#define LOG_SYSLOG_PATH "/dev/log" /* _PATH_LOG */

enum log_dest {
	LOG_DEST_STDERR = 0,
	LOG_DEST_SYSLOG,
	LOG_DEST_SINK,
	LOG_DEST_FILE,
};

static const char *log_ident = "credvault";
static atomic_int log_style;
static atomic_int log_dest;
static atomic_int log_level = LOG_INFO;
/* Set before the destination switches to them, then left alone (the file
 * descriptor number stays: log_reopen() dup2()s onto it). */
static log_sink_fn *log_sink;
static void *log_sink_arg;
static int log_fd = -1;
static char log_path[LOG_PATH_MAX];

static const char *const log_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "error", [LOG_WARNING] = "warning",
	[LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

void
log_set_ident(const char *ident, enum log_style style)
{
	log_ident = ident;
	atomic_store(&log_style, (int)style);
}

void
log_to_syslog(void)
{
	openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	atomic_store(&log_dest, LOG_DEST_SYSLOG);
}

int
log_syslog_is_reachable(void)
{
	static const int types[] = { SOCK_DGRAM, SOCK_STREAM };
	struct sockaddr_un sa;
	size_t i;
	int fd, r;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, LOG_SYSLOG_PATH, sizeof(LOG_SYSLOG_PATH));
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if ((fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0)) < 0)
			continue;
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		(void)close(fd);
		if (r == 0)
			return 1;
	}
	return 0;
}

void
log_to_sink(log_sink_fn *fn, void *arg)
{
	log_sink = fn;
	log_sink_arg = arg;
	atomic_store(&log_dest, LOG_DEST_SINK);
}

/* Open path for appending, with the checks of log_to_file(). */
static int
log_open(const char *path, int *out, char *why, size_t whylen)
{
	struct stat st;
	int fd;

	*out = -1;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == ELOOP) {
			cv_why(why, whylen, "log file '%s' is a symbolic link; "
			    "name the file itself", path);
			return CV_E_PERM;
		}
		cv_why(why, whylen, "cannot open log file '%s': %s; check "
		    "that its directory exists and is writable", path,
		    strerror(errno));
		return CV_E_IO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		cv_why(why, whylen, "log file '%s' is not a regular file; "
		    "name a file", path);
		(void)close(fd);
		return CV_E_PERM;
	}
	if (st.st_uid != geteuid()) {
		cv_why(why, whylen, "log file '%s' belongs to uid %lu, not to "
		    "this user (uid %lu); remove it or chown it", path,
		    (unsigned long)st.st_uid, (unsigned long)geteuid());
		(void)close(fd);
		return CV_E_PERM;
	}
	if ((st.st_mode & (S_IWGRP | S_IRWXO)) != 0) {
		cv_why(why, whylen, "log file '%s' has mode %04o: others could "
		    "%s; chmod 600 '%s'", path, (unsigned)(st.st_mode & 07777),
		    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0 ? "forge lines" :
		    "read record names and peers", path);
		(void)close(fd);
		return CV_E_PERM;
	}
	/* Writes must not fail with EAGAIN on odd file systems. */
	(void)fcntl(fd, F_SETFL, O_WRONLY | O_APPEND);
	*out = fd;
	return 0;
}

int
log_to_file(const char *path, char *why, size_t whylen)
{
	size_t n = strlen(path);
	int fd, r;

	why[0] = '\0';
	if (path[0] != '/' || n >= sizeof(log_path)) {
		cv_why(why, whylen, "log file path must be absolute and "
		    "shorter than %zu bytes", sizeof(log_path));
		return CV_E_INVALID;
	}
	if ((r = log_open(path, &fd, why, whylen)) != 0)
		return r;
	if (log_fd >= 0) {
		/* A second call: take the old number, as on reopen. */
		if (dup2(fd, log_fd) < 0) {
			r = errno;
			(void)close(fd);
			cv_why(why, whylen, "cannot switch log file: %s",
			    strerror(r));
			return CV_E_IO;
		}
		(void)close(fd);
	} else {
		log_fd = fd;
	}
	memcpy(log_path, path, n + 1);
	atomic_store(&log_dest, LOG_DEST_FILE);
	return 0;
}

int
log_reopen(char *why, size_t whylen)
{
	int fd, r;

	why[0] = '\0';
	if (log_fd < 0)
		return 0;
	if ((r = log_open(log_path, &fd, why, whylen)) != 0)
		return r;
	if (dup2(fd, log_fd) < 0) {
		r = errno;
		(void)close(fd);
		cv_why(why, whylen, "cannot switch to the reopened log file "
		    "'%s': %s", log_path, strerror(r));
		return CV_E_IO;
	}
	(void)close(fd);
	return 0;
}

void
log_set_level(int prio)
{
	atomic_store(&log_level, prio);
}

/* What goes before "FUNC: " on stderr and in a file. */
static size_t
log_prefix(char *line, size_t len, int prio)
{
	char stamp[40];
	struct timespec ts;
	struct tm tm;
	int k;

	if (atomic_load(&log_style) == LOG_STYLE_PLAIN) {
		k = snprintf(line, len, "%s: ", log_ident);
	} else {
		(void)clock_gettime(CLOCK_REALTIME, &ts);
		stamp[0] = '\0';
		if (gmtime_r(&ts.tv_sec, &tm) != NULL)
			(void)strftime(stamp, sizeof(stamp),
			    "%Y-%m-%dT%H:%M:%S", &tm);
		k = snprintf(line, len, "%s.%03ldZ %s[%ld] %s: ", stamp,
		    ts.tv_nsec / 1000000L, log_ident, (long)getpid(),
		    log_names[prio]);
	}
	return k > 0 ? (size_t)k : 0;
}

static void log_vput(int prio, const char *func, const struct log_field *f,
    size_t nf, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

static void
log_vput(int prio, const char *func, const struct log_field *f, size_t nf,
    const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	char vals[LOG_FIELDS_MAX][LOG_FIELD_VALUE_MAX];
	struct log_field clean[LOG_FIELDS_MAX];
	int dest = atomic_load(&log_dest);
	size_t n = 0, m, i;
	int k;

	if (dest == LOG_DEST_STDERR || dest == LOG_DEST_FILE)
		n = log_prefix(line, sizeof(line), prio);
	m = n; /* the message starts here, for the sink */
	if (dest != LOG_DEST_SINK) {
		k = snprintf(line + n, sizeof(line) - n, "%s: ", func);
		n += k > 0 ? (size_t)k : 0;
		m = n < sizeof(line) ? n : sizeof(line) - 1;
	}
	if (n < sizeof(line)) {
		k = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		n += k > 0 ? (size_t)k : 0;
	}
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	/* One line per event: no control characters from names or paths. */
	for (i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	switch (dest) {
	case LOG_DEST_SYSLOG:
		line[n] = '\0';
		syslog(prio, "%s", line);
		return;
	case LOG_DEST_SINK:
		line[n] = '\0';
		if (nf > LOG_FIELDS_MAX)
			nf = LOG_FIELDS_MAX;
		for (i = 0; i < nf; i++) {
			log_clean(vals[i], sizeof(vals[i]), f[i].value,
			    strlen(f[i].value));
			clean[i].name = f[i].name;
			clean[i].value = vals[i];
		}
		log_sink(log_sink_arg, prio, log_ident, func, line + m, clean,
		    nf);
		return;
	case LOG_DEST_FILE:
		line[n++] = '\n';
		(void)!write(log_fd, line, n);
		return;
	default:
		line[n++] = '\n';
		(void)!write(STDERR_FILENO, line, n);
		return;
	}
}

void
log_put(int prio, const char *func, const char *fmt, ...)
{
	va_list ap;

	if (prio < 0 || prio > LOG_DEBUG || prio > atomic_load(&log_level))
		return;
	va_start(ap, fmt);
	log_vput(prio, func, NULL, 0, fmt, ap);
	va_end(ap);
}

void
log_put_fields(int prio, const char *func, const struct log_field *f,
    size_t nf, const char *fmt, ...)
{
	va_list ap;

	if (prio < 0 || prio > LOG_DEBUG || prio > atomic_load(&log_level))
		return;
	va_start(ap, fmt);
	log_vput(prio, func, f, nf, fmt, ap);
	va_end(ap);
}

void
log_clean(char *dst, size_t dstsz, const char *src, size_t n)
{
	size_t i;

	if (dstsz == 0)
		return;
	for (i = 0; i < n && i < dstsz - 1; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (char)((c >= 0x20 && c < 0x7f) ? c : '?');
	}
	dst[i] = '\0';
}
