/* SPDX-License-Identifier: MIT */
/* credvault agent: unlock once, then serve tokens on a Unix socket. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/broker/broker.h"
#include "agent/transport/daemon.h"
#include "agent/transport/listen.h"
#include "agent/transport/loop.h"
#include "agent/transport/service.h"
#include "base/log.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "base/err.h"
#include "base/limits.h"
#include "vault/hwm.h"
#include "base/banned.h"

#define AGENT_USAGE "[--socket PATH] [--socket-group GROUP] [--foreground] " \
	"[--keyfile FILE] [--lifetime SEC] [--clients-per-uid N] " \
	"[--log-file FILE]"

static void
agent_help(void)
{
	printf("usage: credvault agent " AGENT_USAGE "\n"
	    "Unlock the vault once (passphrase from the global options or the "
	    "terminal,\nor a key-file keyslot with --keyfile), then serve "
	    "short-lived tokens to\nlocal processes on a Unix socket "
	    "(docs/agent.md).\n\n"
	    "  --socket PATH        socket (default $XDG_RUNTIME_DIR/"
	    "credvault.sock)\n"
	    "  --socket-group GROUP socket mode 0660 for this group (else "
	    "0600)\n"
	    "  --foreground         stay attached; log to stderr\n"
	    "  --keyfile FILE       unlock with a key-file keyslot\n"
	    "  --lifetime SEC       lock after SEC seconds without a request\n"
	    "  --clients-per-uid N  connections of one uid other than the "
	    "agent's and root\n"
	    "                       (default %u)\n"
	    "  --log-file FILE      log to FILE (0600; reopened on SIGHUP)\n\n"
	    "Without --foreground the agent detaches and prints shell commands "
	    "that set\nCREDVAULT_SOCKET: eval \"$(credvault agent)\".  "
	    "credvault lock or SIGTERM\nlocks it (SIGTERM also stops it); "
	    "SIGHUP reads stack files again.\n\n"
	    "Logs: --log-file; else the journal when systemd started the "
	    "agent; else\nstderr in the foreground; else syslog, or "
	    "agent.log in the state directory\nwhen no syslog listens on "
	    "/dev/log.  Under systemd it takes its socket from\na .socket "
	    "unit and reports readiness (docs/service.md).\n",
	    (unsigned)CV_AGENT_CLIENTS_PER_UID);
}

/* Shell-quote path for the eval-able output ('...' with '\'' inside). */
static void
agent_print_env(const char *path, long pid)
{
	const char *p;

	fputs("CREDVAULT_SOCKET='", stdout);
	for (p = path; *p != '\0'; p++) {
		if (*p == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*p);
	}
	printf("'; export CREDVAULT_SOCKET;\necho credvault agent pid %ld;\n",
	    pid);
	fflush(stdout);
}

static int
agent_default_socket(struct cli *c, char *buf, size_t len)
{
	const char *dir = getenv("XDG_RUNTIME_DIR");
	int n;

	if (dir == NULL || dir[0] != '/') {
		cli_error(c, "no socket path: XDG_RUNTIME_DIR is not set; use "
		    "--socket PATH (in a directory of your own)");
		return CV_EXIT_USAGE;
	}
	n = snprintf(buf, len, "%s/credvault.sock", dir);
	if (n < 0 || (size_t)n >= len) {
		cli_error(c, "socket path '%s/credvault.sock' is too long; use "
		    "--socket PATH", dir);
		return CV_EXIT_USAGE;
	}
	return 0;
}

/*
 * A detached agent without --log-file or the journal: syslog when a
 * daemon listens on /dev/log, else STATE/agent.log (the directory of the
 * high-water marks), so that the reason for a denial is never dropped.
 * Said on stderr, which is still the terminal.
 */
static void
agent_detached_log(struct cli *c)
{
	char dir[CV_PATH_MAX], file[CV_PATH_MAX + 16], why[512];
	int n;

	if (log_syslog_is_reachable()) {
		log_to_syslog();
		return;
	}
	if (hwm_dir(dir, sizeof(dir)) != 0 ||
	    (n = snprintf(file, sizeof(file), "%s/agent.log", dir)) < 0 ||
	    (size_t)n >= sizeof(file)) {
		cli_warn(c, "no syslog listens on /dev/log and there is no "
		    "state directory for agent.log: the log is lost; use "
		    "--log-file FILE");
		log_to_syslog();
		return;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		cv_why(why, sizeof(why), "cannot create '%s': %s", dir,
		    strerror(errno));
	else if (log_to_file(file, why, sizeof(why)) == 0)
		why[0] = '\0';
	if (why[0] != '\0') {
		cli_warn(c, "no syslog listens on /dev/log, and %s: the log "
		    "is lost; use --log-file FILE", why);
		log_to_syslog();
		return;
	}
	cli_warn(c, "no syslog listens on /dev/log: logging to '%s'", file);
}

/* Serve on ls until SIGTERM; v and ls are taken over.  logging: the log
 * already goes to a file or the journal. */
static int
agent_serve(struct cli *c, struct vault *v, struct listen_sock *ls,
    const char *group, const struct broker_opts *so,
    const struct loop_opts *lo, int foreground, int logging,
    const char *warn)
{
	struct broker *b = NULL;
	const char *path = ls->path;
	char status[CV_PATH_MAX + 32];
	int r;

	if ((r = loop_block_signals()) != 0)
		vault_free(&v);
	else
		r = broker_new(v, so, &b); /* v transferred, even on failure */
	if (r != 0) {
		cli_error(c, "cannot start the agent: %s", cv_strerror(r));
		listen_close(ls);
		return CV_EXIT_FAILURE;
	}
	if (foreground) {
		/* Under a service manager nobody evals it. */
		if (!service_is_notified())
			agent_print_env(path, (long)getpid());
	} else {
		if (!logging)
			agent_detached_log(c);
		daemon_ready(); /* the parent tells the manager, if any */
	}
	if (warn[0] != '\0')
		log_warn("%s", warn);
	log_info("serving tokens on '%s'%s%s%s", path, group != NULL ?
	    " for group " : "", group != NULL ? group : "", ls->lockfd < 0 ?
	    " (socket from the service manager)" : "");
	/* Unlocked, and the socket listens: a client that connects now is
	 * answered as soon as the loop runs (the backlog holds it). */
	(void)snprintf(status, sizeof(status), "serving tokens on %s", path);
	if (foreground)
		service_ready(0, status);
	r = loop_run(b, ls->fd, lo);
	broker_free(&b);
	listen_close(ls);
	log_info("stopped");
	return r == 0 ? 0 : CV_EXIT_FAILURE;
}

int
cmd_agent(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "socket-group", required_argument, NULL, 'g' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "keyfile", required_argument, NULL, 'k' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ "clients-per-uid", required_argument, NULL, 'u' },
		{ "log-file", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct broker_opts so;
	struct loop_opts lo;
	struct listen_sock ls;
	struct vault *v = NULL;
	const char *path = c->socket, *group = NULL, *log_file = NULL;
	char def[LISTEN_PATH_MAX], warn[256], why[1024], lwarn[256];
	char logpath[CV_PATH_MAX];
	unsigned long n;
	int ch, r, foreground = 0, status, lfd = -1, logging = 0;
	pid_t child;

	log_set_ident("credvault-agent", LOG_STYLE_STAMPED);
	memset(&so, 0, sizeof(so));
	memset(&lo, 0, sizeof(lo));
	while ((ch = cli_getopt(c, argc, argv, "h", opts)) != -1) {
		switch (ch) {
		case 's':
			path = optarg;
			break;
		case 'g':
			group = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'k':
			c->keyfile = optarg;
			break;
		case 'l':
			if (cli_parse_u32(optarg, 1, CV_AGENT_LIFETIME_MAX_S,
			    &n) != 0) {
				cli_error(c, "--lifetime needs seconds in 1..%u",
				    CV_AGENT_LIFETIME_MAX_S);
				return CV_EXIT_USAGE;
			}
			so.lifetime_s = (unsigned)n;
			break;
		case 'u':
			if (cli_parse_u32(optarg, 1, CV_AGENT_CLIENTS_MAX,
			    &n) != 0) {
				cli_error(c, "--clients-per-uid needs a number "
				    "in 1..%u", CV_AGENT_CLIENTS_MAX);
				return CV_EXIT_USAGE;
			}
			lo.clients_per_uid = (unsigned)n;
			break;
		case 'L':
			log_file = optarg;
			break;
		case 'h':
			agent_help();
			return 0;
		default:
			return cli_usage(c, AGENT_USAGE);
		}
	}
	if (cli_want_operands(c, argc, argv, 0, AGENT_USAGE) != 0)
		return CV_EXIT_USAGE;
	/* Started by systemd: its socket (before forking: LISTEN_PID),
	 * readiness, the journal.  Without it none of this does anything. */
	if (service_listen_fd(&lfd, why, sizeof(why)) != 0 ||
	    service_notify_init(why, sizeof(why)) != 0) {
		cli_error(c, "%s", why);
		return CV_EXIT_FAILURE;
	}
	if (lfd >= 0 && group != NULL) {
		cli_error(c, "--socket-group is for a socket the agent binds; "
		    "for systemd's, set SocketGroup= and SocketMode=0660 in "
		    "the .socket unit");
		return CV_EXIT_USAGE;
	}
	if (log_file != NULL) {
		/* Absolute: a detached agent works in "/", and SIGHUP
		 * opens the file again by its path. */
		if (log_file[0] != '/') {
			if (getcwd(def, sizeof(def)) == NULL ||
			    (n = (unsigned long)snprintf(logpath,
			    sizeof(logpath), "%s/%s", def, log_file)) >=
			    sizeof(logpath)) {
				cli_error(c, "--log-file '%s': cannot make the "
				    "path absolute; give an absolute path",
				    log_file);
				return CV_EXIT_USAGE;
			}
			log_file = logpath;
		}
		if ((r = log_to_file(log_file, why, sizeof(why))) != 0) {
			cli_error(c, "%s", why);
			return cv_exit_code(r);
		}
		logging = 1;
	} else if (service_stderr_is_journal()) {
		if (service_log_to_journal(why, sizeof(why)) != 0) {
			cli_error(c, "%s", why);
			return CV_EXIT_FAILURE;
		}
		logging = 1;
	}
	if (path == NULL && lfd < 0) {
		if ((r = agent_default_socket(c, def, sizeof(def))) != 0)
			return r;
		path = def;
	}
	/* Before any key is in memory. */
	if (daemon_harden(warn, sizeof(warn)) != 0) {
		cli_error(c, "cannot disable core files for the agent; not "
		    "starting");
		return CV_EXIT_FAILURE;
	}
	if (!foreground) {
		r = daemon_fork(&child, &status);
		if (r < 0) {
			cli_error(c, "cannot start the agent in the background; "
			    "try --foreground");
			return CV_EXIT_FAILURE;
		}
		if (r == 1) {
			service_ready(child, "serving tokens");
			agent_print_env(path != NULL ? path : "(systemd's socket)",
			    (long)child);
			return 0;
		}
		if (r == 2)
			return status;
	}
	/* The agent itself (foreground, or the detached child).  The socket
	 * first: a bad directory is refused before anyone types a
	 * passphrase; early clients wait in the backlog meanwhile. */
	if (lfd >= 0)
		r = listen_adopt(lfd, path, &ls, lwarn, sizeof(lwarn), why,
		    sizeof(why));
	else
		r = listen_open(path, group, &ls, why, sizeof(why));
	if (r != 0) {
		cli_error(c, "%s", why);
		return cv_exit_code(r);
	}
	if (lfd >= 0 && lwarn[0] != '\0')
		log_warn("%s", lwarn);
	if (foreground)
		service_status("unlocking the vault");
	if ((r = cli_open_unlocked(c, &v)) != 0) {
		listen_close(&ls);
		return r;
	}
	return agent_serve(c, v, &ls, group, &so, &lo, foreground, logging,
	    warn);
}
