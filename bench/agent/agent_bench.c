/* SPDX-License-Identifier: MIT */
/* The agent benchmark driver: the same client loops against the raw echo
 * baseline and the agent, whole-process timings, and cold mints.  Every
 * comparison is interleaved so that both sides see the same machine. */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "base/banned.h"

#define BENCH_BUF 65536
#define BENCH_ECHO_REQ 100
#define BENCH_ROUNDS 100
#define BENCH_COLD_MAX 700

struct bench_opts {
	const char *echo, *agent, *record, *cold_record, *credvault;
	const char *min_client, *ssh_add, *mint_stub;
	unsigned n, secs, spawns, cold_scopes;
};

/* One request as a frame: for the baseline 100 bytes, for the agent a
 * token request for record. */
struct bench_req {
	unsigned char buf[512];
	size_t len;
};

static void
bench_echo_req(struct bench_req *r)
{
	memset(r->buf, 'y', BENCH_ECHO_REQ);
	r->buf[0] = r->buf[1] = r->buf[2] = 0;
	r->buf[3] = BENCH_ECHO_REQ - 4;
	r->len = BENCH_ECHO_REQ;
}

/*
 * Round trips over one connection each to a and b, alternating in
 * BENCH_ROUNDS rounds: p50 and p99 in microseconds for each.
 */
static int
bench_latency(const char *sa, const struct bench_req *ra, const char *sb,
    const struct bench_req *rb, unsigned n, double p50[2], double p99[2])
{
	static unsigned char buf[BENCH_BUF];
	const struct bench_req *r[2] = { ra, rb };
	unsigned i, k, round, per = n / BENCH_ROUNDS, got[2] = { 0, 0 };
	int fd[2] = { bench_connect(sa), bench_connect(sb) };
	double *t[2];
	uint64_t t0;

	t[0] = calloc(n, sizeof(double));
	t[1] = calloc(n, sizeof(double));
	if (fd[0] < 0 || fd[1] < 0 || t[0] == NULL || t[1] == NULL || per == 0)
		return -1;
	for (k = 0; k < 2; k++)
		for (i = 0; i < per; i++) /* warm up */
			if (bench_roundtrip(fd[k], r[k]->buf, r[k]->len, buf,
			    sizeof(buf)) < 0)
				return -1;
	for (round = 0; round < BENCH_ROUNDS; round++)
		for (k = 0; k < 2; k++)
			for (i = 0; i < per; i++) {
				t0 = bench_now_ns();
				if (bench_roundtrip(fd[k], r[k]->buf, r[k]->len,
				    buf, sizeof(buf)) < 0)
					return -1;
				t[k][got[k]++] = (double)(bench_now_ns() - t0) /
				    1000.0;
			}
	for (k = 0; k < 2; k++) {
		close(fd[k]);
		p50[k] = bench_percentile(t[k], got[k], 50);
		p99[k] = bench_percentile(t[k], got[k], 99);
		free(t[k]);
	}
	return 0;
}

struct bench_thread {
	pthread_t th;
	const char *sock;
	const struct bench_req *r;
	pthread_barrier_t *start;
	volatile int *stop;
	unsigned long count;
	int err;
};

static void *
bench_loop(void *arg)
{
	struct bench_thread *b = arg;
	unsigned char *buf = malloc(BENCH_BUF);
	int fd = bench_connect(b->sock);

	pthread_barrier_wait(b->start);
	if (fd < 0 || buf == NULL) {
		b->err = 1;
		goto out;
	}
	while (!*b->stop) {
		if (bench_roundtrip(fd, b->r->buf, b->r->len, buf,
		    BENCH_BUF) < 0) {
			b->err = 1;
			break;
		}
		b->count++;
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* Requests per second with c clients, each on its own connection. */
static double
bench_throughput(const char *sock, const struct bench_req *r, unsigned c,
    unsigned secs)
{
	struct bench_thread *t = calloc(c, sizeof(*t));
	pthread_barrier_t start;
	volatile int stop = 0;
	unsigned long total = 0;
	uint64_t t0;
	unsigned i;
	int err = 0;

	pthread_barrier_init(&start, NULL, c + 1);
	for (i = 0; i < c; i++) {
		t[i].sock = sock;
		t[i].r = r;
		t[i].start = &start;
		t[i].stop = &stop;
		pthread_create(&t[i].th, NULL, bench_loop, &t[i]);
	}
	pthread_barrier_wait(&start);
	t0 = bench_now_ns();
	sleep(secs);
	stop = 1;
	for (i = 0; i < c; i++) {
		pthread_join(t[i].th, NULL);
		total += t[i].count;
		err |= t[i].err;
	}
	t0 = bench_now_ns() - t0;
	pthread_barrier_destroy(&start);
	free(t);
	return err ? -1 : (double)total / ((double)t0 / 1e9);
}

/*
 * Median wall times of running each of the nc commands n times, in
 * milliseconds, interleaved (one of each per iteration).  A command that
 * exits above its max_exit gets -1.
 */
static void
bench_processes(char *const *const argv[], const int max_exit[], size_t nc,
    unsigned n, double med[])
{
	double *t[8];
	uint64_t ns;
	unsigned i;
	size_t k;

	for (k = 0; k < nc; k++) {
		t[k] = calloc(n, sizeof(double));
		med[k] = 0;
		(void)bench_spawn(argv[k], NULL, 0, max_exit[k]); /* warm */
	}
	for (i = 0; i < n; i++)
		for (k = 0; k < nc; k++) {
			if ((ns = bench_spawn(argv[k], NULL, 0,
			    max_exit[k])) == 0)
				med[k] = -1;
			t[k][i] = (double)ns / 1e6;
		}
	for (k = 0; k < nc; k++) {
		if (med[k] == 0)
			med[k] = bench_percentile(t[k], n, 50);
		free(t[k]);
	}
}

/*
 * Cold mints through the agent, each for a scope set not asked for before
 * ("s<i> s<j>") so that each one runs the mint hook; interleaved with runs
 * of the hook alone (posix_spawn, the request on stdin, the reply read,
 * wait).  Medians in ms into *agent and *hook.
 */
static int
bench_cold(const struct bench_opts *o, unsigned n, double *agent,
    double *hook)
{
	static unsigned char buf[BENCH_BUF];
	char *hk[] = { (char *)o->mint_stub, NULL };
	struct bench_req r;
	char scope[64], req[1024];
	double *ta = calloc(n, sizeof(double)), *th = calloc(n, sizeof(double));
	unsigned i = 0, a, b;
	uint64_t t0, ns;
	long k;
	int fd = bench_connect(o->agent);

	if (fd < 0 || ta == NULL || th == NULL)
		return -1;
	/* About the size of a real mint request. */
	memset(req, ' ', sizeof(req));
	memcpy(req, "{\"phase\":\"mint\"}", 16);
	for (a = 0; a < o->cold_scopes && i < n; a++)
		for (b = a + 1; b < o->cold_scopes && i < n; b++, i++) {
			if ((ns = bench_spawn(hk, req, 900, 0)) == 0)
				return -1;
			th[i] = (double)ns / 1e6;
			(void)snprintf(scope, sizeof(scope), "s%02u s%02u", a, b);
			r.len = bench_token_frame(r.buf, sizeof(r.buf),
			    o->cold_record, scope);
			t0 = bench_now_ns();
			k = bench_roundtrip(fd, r.buf, r.len, buf,
			    sizeof(buf) - 1);
			if (k > 0)
				buf[k] = '\0';
			if (k < 0 || strstr((char *)buf,
			    "\"status\":\"ok\"") == NULL) {
				fprintf(stderr, "cold mint %u failed: %.80s\n",
				    i, k < 0 ? "(no reply)" : (char *)buf);
				return -1;
			}
			ta[i] = (double)(bench_now_ns() - t0) / 1e6;
		}
	close(fd);
	*agent = bench_percentile(ta, i, 50);
	*hook = bench_percentile(th, i, 50);
	free(ta);
	free(th);
	return 0;
}

static void
bench_usage(void)
{
	fprintf(stderr, "usage: agent_bench --echo SOCK --agent SOCK --record "
	    "NAME --cold-record NAME\n  --credvault PATH --min-client PATH "
	    "--mint-stub PATH [--ssh-add PATH]\n  [--n N] [--secs S] "
	    "[--spawns N] [--cold-scopes N]\n");
}

static int
bench_args(int argc, char **argv, struct bench_opts *o)
{
	static const struct option opts[] = {
		{ "echo", required_argument, NULL, 'e' },
		{ "agent", required_argument, NULL, 'a' },
		{ "record", required_argument, NULL, 'r' },
		{ "cold-record", required_argument, NULL, 'c' },
		{ "credvault", required_argument, NULL, 'v' },
		{ "min-client", required_argument, NULL, 'm' },
		{ "ssh-add", required_argument, NULL, 's' },
		{ "mint-stub", required_argument, NULL, 'h' },
		{ "n", required_argument, NULL, 'n' },
		{ "secs", required_argument, NULL, 't' },
		{ "spawns", required_argument, NULL, 'p' },
		{ "cold-scopes", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->n = 20000;
	o->secs = 3;
	o->spawns = 300;
	o->cold_scopes = 40;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'e': o->echo = optarg; break;
		case 'a': o->agent = optarg; break;
		case 'r': o->record = optarg; break;
		case 'c': o->cold_record = optarg; break;
		case 'v': o->credvault = optarg; break;
		case 'm': o->min_client = optarg; break;
		case 's': o->ssh_add = optarg; break;
		case 'h': o->mint_stub = optarg; break;
		case 'n': o->n = (unsigned)strtoul(optarg, NULL, 10); break;
		case 't': o->secs = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'p': o->spawns = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'k':
			o->cold_scopes = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default: return -1;
		}
	}
	if (!o->echo || !o->agent || !o->record || !o->cold_record ||
	    !o->credvault || !o->min_client || !o->mint_stub ||
	    o->n < BENCH_ROUNDS || o->spawns == 0 || o->secs == 0)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const unsigned clients[] = { 1, 16, 64 };
	struct bench_opts o;
	struct bench_req echo, tok;
	double p50[2], p99[2], er, ar, med[3], hook, cold;
	unsigned i;

	if (bench_args(argc, argv, &o) != 0) {
		bench_usage();
		return 2;
	}
	bench_echo_req(&echo);
	tok.len = bench_token_frame(tok.buf, sizeof(tok.buf), o.record, NULL);

	printf("== cache-hit latency, one connection each, %u round trips, "
	    "interleaved ==\n", o.n);
	if (bench_latency(o.echo, &echo, o.agent, &tok, o.n, p50, p99) != 0) {
		fprintf(stderr, "agent_bench: latency run failed\n");
		return 1;
	}
	printf("  raw echo baseline   p50 %7.1f us   p99 %7.1f us\n", p50[0],
	    p99[0]);
	printf("  agent cache hit     p50 %7.1f us   p99 %7.1f us   "
	    "p50 ratio %.2fx (target <= 1.5x)\n", p50[1], p99[1],
	    p50[1] / p50[0]);

	printf("== throughput, 2 x %u s per side, alternating, one connection "
	    "per client ==\n", o.secs);
	for (i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
		er = bench_throughput(o.echo, &echo, clients[i], o.secs);
		ar = bench_throughput(o.agent, &tok, clients[i], o.secs);
		er = (er + bench_throughput(o.echo, &echo, clients[i],
		    o.secs)) / 2;
		ar = (ar + bench_throughput(o.agent, &tok, clients[i],
		    o.secs)) / 2;
		printf("  %2u client(s)   echo %9.0f req/s   agent %9.0f req/s   "
		    "%5.1f %%%s\n", clients[i], er, ar, 100.0 * ar / er,
		    clients[i] == 16 ? " (target >= 60 %)" : "");
	}

	printf("== whole process, median of %u runs each, interleaved ==\n",
	    o.spawns);
	{
		char *cv[] = { (char *)o.credvault, "token", "--socket",
			(char *)o.agent, (char *)o.record, NULL };
		char *mc[] = { (char *)o.min_client, (char *)o.agent,
			(char *)o.record, NULL };
		/* Without identities ssh-add -l exits 1 after its round
		 * trip. */
		char *sa[] = { (char *)o.ssh_add, "-l", NULL };
		char *const *const cmds[] = { cv, mc, sa };
		const int max_exit[] = { 0, 0, 1 };

		bench_processes(cmds, max_exit, o.ssh_add != NULL ? 3 : 2,
		    o.spawns, med);
	}
	printf("  credvault token     %6.3f ms (target <= 1 ms)\n", med[0]);
	printf("  minimal C client    %6.3f ms   (credvault token: %.2fx)\n",
	    med[1], med[0] / med[1]);
	if (o.ssh_add != NULL)
		printf("  ssh-add -l          %6.3f ms   (credvault token: "
		    "%.2fx)\n", med[2], med[0] / med[2]);

	printf("== cold mint (stub hook), median, interleaved ==\n");
	if (bench_cold(&o, o.spawns < BENCH_COLD_MAX ? o.spawns :
	    BENCH_COLD_MAX, &cold, &hook) != 0)
		return 1;
	printf("  hook run alone      %6.3f ms (posix_spawn, stdin, stdout, "
	    "wait)\n", hook);
	printf("  cold mint via agent %6.3f ms\n", cold);
	printf("  agent overhead      %6.3f ms (target <= 1 ms)\n", cold - hook);
	return 0;
}
