/* SPDX-License-Identifier: MIT */
/* systemd's protocols through libsystemd, loaded when systemd started us. */
#define _GNU_SOURCE /* RTLD_* are POSIX, but glibc's dlfcn.h wants this */
#include "agent/transport/service.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "base/err.h"
#include "base/log.h"
#include "base/banned.h"

/* The ABI of libsystemd.so.0 has been stable since 2014 (systemd 209). */
#define SERVICE_LIBSYSTEMD "libsystemd.so.0"
#define SERVICE_STATUS_MAX 256
#define SERVICE_FIELD_MAX (64 + LOG_FIELD_VALUE_MAX)

typedef int service_listen_fds_fn(int unset_environment);
typedef int service_is_socket_unix_fn(int fd, int type, int listening,
    const char *path, size_t length);
typedef int service_pid_notify_fn(pid_t pid, int unset_environment,
    const char *state);
typedef int service_journal_sendv_fn(const struct iovec *iov, int n);

/* The pointers below have the header's types (checked, never linked). */
_Static_assert(_Generic(&sd_listen_fds, service_listen_fds_fn *: 1,
    default: 0), "sd_listen_fds");
_Static_assert(_Generic(&sd_is_socket_unix, service_is_socket_unix_fn *: 1,
    default: 0), "sd_is_socket_unix");
_Static_assert(_Generic(&sd_pid_notify, service_pid_notify_fn *: 1,
    default: 0), "sd_pid_notify");
_Static_assert(_Generic(&sd_journal_sendv, service_journal_sendv_fn *: 1,
    default: 0), "sd_journal_sendv");

static struct {
	void *handle;
	service_listen_fds_fn *listen_fds;
	service_is_socket_unix_fn *is_socket_unix;
	service_pid_notify_fn *pid_notify;
	service_journal_sendv_fn *journal_sendv;
} service_sd;

static int service_notifying;
static pthread_mutex_t service_mu = PTHREAD_MUTEX_INITIALIZER;
static char service_last_status[SERVICE_STATUS_MAX];

/* One symbol into *fp (object to function pointer, as POSIX does it). */
static int
service_sym(const char *name, void *fp, size_t fpsize)
{
	void *sym = dlsym(service_sd.handle, name);

	if (sym == NULL || fpsize != sizeof(sym))
		return -1;
	memcpy(fp, &sym, sizeof(sym));
	return 0;
}

/* Load libsystemd once; why says what is missing. */
static int
service_load(const char *need, char *why, size_t whylen)
{
	const char *e;

	if (service_sd.handle != NULL)
		return 0;
	if ((service_sd.handle = dlopen(SERVICE_LIBSYSTEMD, RTLD_NOW |
	    RTLD_LOCAL)) == NULL) {
		e = dlerror();
		cv_why(why, whylen, "%s is set but %s cannot be loaded (%s); "
		    "install libsystemd0, or start the agent outside systemd",
		    need, SERVICE_LIBSYSTEMD, e != NULL ? e : "?");
		return CV_E_IO;
	}
	if (service_sym("sd_listen_fds", &service_sd.listen_fds,
	    sizeof(service_sd.listen_fds)) != 0 ||
	    service_sym("sd_is_socket_unix", &service_sd.is_socket_unix,
	    sizeof(service_sd.is_socket_unix)) != 0 ||
	    service_sym("sd_pid_notify", &service_sd.pid_notify,
	    sizeof(service_sd.pid_notify)) != 0 ||
	    service_sym("sd_journal_sendv", &service_sd.journal_sendv,
	    sizeof(service_sd.journal_sendv)) != 0) {
		cv_why(why, whylen, "%s lacks a function the agent needs; "
		    "upgrade libsystemd0", SERVICE_LIBSYSTEMD);
		(void)dlclose(service_sd.handle);
		memset(&service_sd, 0, sizeof(service_sd));
		return CV_E_IO;
	}
	return 0;
}

int
service_listen_fd(int *fd, char *why, size_t whylen)
{
	int n, r;

	*fd = -1;
	why[0] = '\0';
	if (getenv("LISTEN_FDS") == NULL)
		return 0;
	if ((r = service_load("LISTEN_FDS", why, whylen)) != 0)
		return r;
	/* 1: unset LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES; descriptors
	 * get FD_CLOEXEC, so hooks never inherit the socket. */
	n = service_sd.listen_fds(1);
	if (n == 0)
		return 0; /* LISTEN_PID names another process */
	if (n < 0) {
		cv_why(why, whylen, "cannot take the sockets systemd passed: "
		    "%s", strerror(-n));
		return CV_E_INVALID;
	}
	if (n != 1) {
		cv_why(why, whylen, "systemd passed %d sockets; the agent "
		    "serves one: give its .socket unit one ListenStream=", n);
		return CV_E_INVALID;
	}
	if (service_sd.is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1,
	    NULL, 0) <= 0) {
		cv_why(why, whylen, "the socket systemd passed is not a "
		    "listening Unix stream socket; use ListenStream=PATH "
		    "(with Accept=no) in the .socket unit");
		return CV_E_INVALID;
	}
	*fd = SD_LISTEN_FDS_START;
	return 0;
}

int
service_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char *end;

	/* "DEVICE:INODE", both decimal. */
	if (js == NULL || js[0] < '0' || js[0] > '9')
		return 0;
	errno = 0;
	dev = strtoull(js, &end, 10);
	if (errno != 0 || *end != ':' || end[1] < '0' || end[1] > '9')
		return 0;
	ino = strtoull(end + 1, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	return fstat(STDERR_FILENO, &st) == 0 &&
	    (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

/* "NAME=value" into buf, as an iovec. */
static void
service_field(struct iovec *iov, char *buf, size_t len, const char *name,
    const char *value)
{
	int k = snprintf(buf, len, "%s=%s", name, value);

	iov->iov_base = buf;
	iov->iov_len = k < 0 ? 0 : (size_t)k < len ? (size_t)k : len - 1;
}

/* The log sink: one journal entry per line (any thread). */
static void
service_journal_put(void *arg, int prio, const char *ident, const char *func,
    const char *msg, const struct log_field *f, size_t nf)
{
	char message[2200], num[16], pr[32], id[96], fn[96];
	char fields[LOG_FIELDS_MAX][SERVICE_FIELD_MAX];
	struct iovec iov[5 + LOG_FIELDS_MAX];
	int n = 0, r, k;
	size_t i;

	(void)arg;
	service_field(&iov[n++], message, sizeof(message), "MESSAGE", msg);
	(void)snprintf(num, sizeof(num), "%d", prio);
	service_field(&iov[n++], pr, sizeof(pr), "PRIORITY", num);
	service_field(&iov[n++], id, sizeof(id), "SYSLOG_IDENTIFIER", ident);
	iov[n].iov_base = (void *)"SYSLOG_FACILITY=10"; /* authpriv */
	iov[n++].iov_len = strlen("SYSLOG_FACILITY=10");
	service_field(&iov[n++], fn, sizeof(fn), "CODE_FUNC", func);
	for (i = 0; i < nf && i < LOG_FIELDS_MAX; i++)
		service_field(&iov[n++], fields[i], sizeof(fields[i]),
		    f[i].name, f[i].value);
	if ((r = service_sd.journal_sendv(iov, n)) < 0) {
		/* The journal went away: stderr is its stream, or nothing. */
		k = snprintf(message, sizeof(message), "journal: %s: %s: %s\n",
		    strerror(-r), func, msg);
		if (k > 0)
			(void)!write(STDERR_FILENO, message, (size_t)k <
			    sizeof(message) ? (size_t)k : sizeof(message) - 1);
	}
}

int
service_log_to_journal(char *why, size_t whylen)
{
	int r;

	why[0] = '\0';
	if ((r = service_load("JOURNAL_STREAM", why, whylen)) != 0)
		return r;
	log_to_sink(service_journal_put, NULL);
	return 0;
}

int
service_notify_init(char *why, size_t whylen)
{
	int r;

	why[0] = '\0';
	if (getenv("NOTIFY_SOCKET") == NULL)
		return 0;
	if ((r = service_load("NOTIFY_SOCKET", why, whylen)) != 0)
		return r;
	service_notifying = 1;
	return 0;
}

int
service_is_notified(void)
{
	return service_notifying;
}

/* Send state; 0: keep NOTIFY_SOCKET for the messages that follow (hooks
 * get a minimal environment, so they never see it). */
static void
service_send(pid_t pid, const char *state)
{
	int r;

	if (!service_notifying)
		return;
	if ((r = service_sd.pid_notify(pid, 0, state)) < 0)
		log_warn("cannot tell the service manager '%.40s': %s", state,
		    strerror(-r));
}

void
service_ready(pid_t mainpid, const char *status)
{
	char msg[SERVICE_STATUS_MAX + 64];

	if (!service_notifying)
		return;
	if (mainpid > 0 && mainpid != getpid())
		(void)snprintf(msg, sizeof(msg), "MAINPID=%ld\nREADY=1\n"
		    "STATUS=%s", (long)mainpid, status);
	else
		(void)snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	(void)pthread_mutex_lock(&service_mu);
	(void)snprintf(service_last_status, sizeof(service_last_status), "%s",
	    status);
	(void)pthread_mutex_unlock(&service_mu);
	service_send(0, msg);
}

void
service_status(const char *fmt, ...)
{
	char status[SERVICE_STATUS_MAX], msg[SERVICE_STATUS_MAX + 8];
	va_list ap;
	int same;

	if (!service_notifying)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(status, sizeof(status), fmt, ap);
	va_end(ap);
	(void)pthread_mutex_lock(&service_mu);
	same = strcmp(status, service_last_status) == 0;
	if (!same)
		memcpy(service_last_status, status, sizeof(status));
	(void)pthread_mutex_unlock(&service_mu);
	if (same)
		return;
	(void)snprintf(msg, sizeof(msg), "STATUS=%s", status);
	service_send(0, msg);
}

void
service_stopping(const char *status)
{
	char msg[SERVICE_STATUS_MAX + 16];

	if (!service_notifying)
		return;
	(void)snprintf(msg, sizeof(msg), "STOPPING=1\nSTATUS=%s", status);
	service_send(0, msg);
}
