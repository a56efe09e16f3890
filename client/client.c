/* SPDX-License-Identifier: MIT */
/* libcredvault-client: connect, frame a request, bound and check the reply. */
#define CREDVAULT_BUILDING
#include "client/credvault.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "client/wire.h"
#include "crypto/secmem.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/wipealloc.h"
#include "base/banned.h"

/* The agent closed the connection before answering (internal). */
#define CLIENT_HUNG_UP (-100)

struct credvault_conn {
	int fd;
	unsigned timeout_ms;
	int broken; /* framing lost: refuse further requests */
	char error[CREDVAULT_ERROR_MAX + 1];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

struct credvault_token {
	struct secbuf *value;
	char type[CV_TOKEN_TYPE_MAX + 1];
	char scope[CV_SCOPE_MAX + 1];
	unsigned expires_in;
	long long expires_at;
};

static pthread_once_t client_once = PTHREAD_ONCE_INIT;
static int client_once_err;

static void
client_init_once(void)
{
	json_malloc_t m = NULL;
	json_free_t f = NULL;

	if (secmem_init() != 0) {
		client_once_err = CREDVAULT_NOMEM;
		return;
	}
	/* Only over jansson's defaults: blocks from malloc() at any time
	 * can be freed by wipealloc_free(), so this is safe even after the
	 * program used jansson (its jansson copies of tokens get wiped). */
	json_get_alloc_funcs(&m, &f);
	if (m == malloc && f == free)
		json_set_alloc_funcs(wipealloc_malloc, wipealloc_free);
}

int
credvault_init(void)
{
	if (pthread_once(&client_once, client_init_once) != 0)
		return CREDVAULT_NOMEM;
	return client_once_err;
}

int
credvault_socket_path(char *buf, size_t len)
{
	const char *env = getenv("CREDVAULT_SOCKET");
	int n;

	if (len == 0)
		return CREDVAULT_INVALID;
	buf[0] = '\0';
	if (env != NULL && env[0] != '\0')
		n = snprintf(buf, len, "%s", env);
	else if ((env = getenv("XDG_RUNTIME_DIR")) != NULL && env[0] == '/')
		n = snprintf(buf, len, "%s/credvault.sock", env);
	else
		return CREDVAULT_INVALID;
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return CREDVAULT_INVALID;
	}
	return CREDVAULT_OK;
}

/*
 * Connect c->fd to c->path.  A full backlog (the agent is not accepting
 * fast enough) is waited out for CV_CLIENT_CONNECT_TIMEOUT_MS, then
 * CREDVAULT_BUSY: the kernel says EAGAIN, which is not "no agent".
 */
static int
client_open(struct credvault_conn *c)
{
	struct timeval tv = { CV_CLIENT_CONNECT_TIMEOUT_MS / 1000,
		(CV_CLIENT_CONNECT_TIMEOUT_MS % 1000) * 1000L };
	struct timeval none = { 0, 0 };
	struct sockaddr_un sa;
	int r;

	if (c->fd >= 0)
		(void)close(c->fd);
	c->broken = 0;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return CREDVAULT_IO;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while ((r = connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) != 0 &&
	    errno == EINTR)
		;
	if (r != 0) {
		r = errno == ENOENT || errno == ECONNREFUSED ||
		    errno == ENOTDIR ? CREDVAULT_NO_AGENT : errno == EACCES ||
		    errno == EPERM ? CREDVAULT_NO_ACCESS : errno == EAGAIN ||
		    errno == EWOULDBLOCK ? CREDVAULT_BUSY : CREDVAULT_IO;
		(void)close(c->fd);
		c->fd = -1;
		return r;
	}
	(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof(none));
	return CREDVAULT_OK;
}

int
credvault_connect(const char *path, struct credvault_conn **out)
{
	struct credvault_conn *c;
	char def[sizeof(c->path)];
	int r;

	*out = NULL;
	if ((r = credvault_init()) != 0)
		return r;
	if (path == NULL) {
		/* No socket to try (neither variable set): no agent. */
		if (credvault_socket_path(def, sizeof(def)) != 0)
			return CREDVAULT_NO_AGENT;
		path = def;
	}
	if (strlen(path) >= sizeof(c->path))
		return CREDVAULT_INVALID;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CREDVAULT_NOMEM;
	c->fd = -1;
	c->timeout_ms = CV_CLIENT_TIMEOUT_MS;
	memcpy(c->path, path, strlen(path) + 1);
	if ((r = client_open(c)) != 0) {
		credvault_close(&c);
		return r;
	}
	*out = c;
	return CREDVAULT_OK;
}

void
credvault_close(struct credvault_conn **c)
{
	if (c == NULL || *c == NULL)
		return;
	if ((*c)->fd >= 0)
		(void)close((*c)->fd);
	free(*c);
	*c = NULL;
}

void
credvault_set_timeout(struct credvault_conn *c, unsigned ms)
{
	c->timeout_ms = ms;
}

const char *
credvault_error(const struct credvault_conn *c)
{
	return c->error;
}

static int64_t
client_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read exactly n bytes before the deadline.  first: these are a reply's
 * first bytes, and a hang-up before any of them is CLIENT_HUNG_UP. */
static int
client_read(struct credvault_conn *c, unsigned char *p, size_t n,
    int64_t deadline, int first)
{
	struct pollfd pfd = { c->fd, POLLIN, 0 };
	size_t want = n;
	int64_t left;
	ssize_t k;
	int r;

	while (n > 0) {
		k = recv(c->fd, p, n, MSG_DONTWAIT);
		if (k > 0) {
			p += k;
			n -= (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (first && n == want && (k == 0 || errno == ECONNRESET ||
		    errno == EPIPE))
			return CLIENT_HUNG_UP;
		if (k == 0)
			return CREDVAULT_PROTOCOL; /* the agent hung up */
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return CREDVAULT_IO;
		left = deadline - client_now_ms();
		if (left <= 0)
			return CREDVAULT_TIMEOUT;
		r = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (r < 0 && errno != EINTR)
			return CREDVAULT_IO;
	}
	return CREDVAULT_OK;
}

/*
 * Send one whole frame and read the reply's body into a new buffer
 * (*body, *n; the caller wipes and frees it).  Nothing is decoded here.
 */
static int
client_exchange(struct credvault_conn *c, const unsigned char *frame,
    size_t len, uint32_t max, unsigned char **body, uint32_t *n)
{
	unsigned char hdr[WIRE_HEADER_BYTES];
	int64_t deadline;
	size_t off = 0;
	ssize_t k;
	int r;

	*body = NULL;
	*n = 0;
	deadline = client_now_ms() + c->timeout_ms;
	while (off < len) {
		k = send(c->fd, frame + off, len - off, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k > 0) {
			off += (size_t)k;
			continue;
		}
		if (errno != EPIPE && errno != ECONNRESET) {
			c->broken = 1;
			return CREDVAULT_IO;
		}
		/* The agent closed: it may have said why first ("busy"),
		 * else the connection was idle too long. */
		deadline = client_now_ms();
		break;
	}
	if ((r = client_read(c, hdr, sizeof(hdr), deadline, 1)) != 0) {
		if (r == CREDVAULT_TIMEOUT && off < len)
			r = CLIENT_HUNG_UP;
		goto out;
	}
	/* Bound the reply before reading it (ssh authfd.c). */
	r = CREDVAULT_PROTOCOL;
	if (wire_header_get(hdr, max, n) != 0)
		goto out;
	/*
	 * An I/O buffer, wiped as soon as it is decoded (ssh-agent's
	 * handle_conn_read); a token itself goes to locked memory.  One
	 * locked allocation per token keeps `credvault token` fast.
	 */
	r = CREDVAULT_NOMEM;
	if ((*body = malloc(*n)) == NULL)
		goto out;
	r = client_read(c, *body, *n, deadline, 0);
out:
	if (r == CREDVAULT_PROTOCOL || r == CREDVAULT_TIMEOUT ||
	    r == CREDVAULT_IO || r == CLIENT_HUNG_UP)
		c->broken = 1;
	if (r != 0 && *body != NULL) {
		secmem_wipe(*body, *n);
		free(*body);
		*body = NULL;
	}
	return r;
}

/* One request and its reply (decoded into *rep, which the caller
 * clears). */
static int
client_roundtrip(struct credvault_conn *c, const struct wire_request *req,
    struct wire_reply *rep)
{
	unsigned char frame[WIRE_HEADER_BYTES + CV_REQUEST_MAX];
	unsigned char *body = NULL;
	size_t len;
	uint32_t n = 0;
	int r;

	c->error[0] = '\0';
	if (c->broken)
		return CREDVAULT_PROTOCOL;
	r = wire_request_encode(req, frame, sizeof(frame), &len);
	if (r != 0)
		return r == CV_E_NOMEM ? CREDVAULT_NOMEM : CREDVAULT_INVALID;
	if ((r = client_exchange(c, frame, len, CV_FRAME_MAX, &body, &n)) != 0)
		return r;
	r = wire_reply_decode(body, n, req->op, rep, NULL, 0);
	r = r == 0 ? CREDVAULT_OK : r == CV_E_NOMEM ? CREDVAULT_NOMEM :
	    CREDVAULT_PROTOCOL;
	if (r == CREDVAULT_PROTOCOL)
		c->broken = 1;
	secmem_wipe(body, n);
	free(body);
	return r;
}

int
credvault_call(struct credvault_conn *c, const void *request, size_t len,
    void **reply, size_t *replylen)
{
	unsigned char *frame, *body = NULL;
	uint32_t n = 0;
	int r;

	*reply = NULL;
	*replylen = 0;
	c->error[0] = '\0';
	if (c->broken)
		return CREDVAULT_PROTOCOL;
	if (request == NULL || len == 0 || len > CV_REQUEST_MAX)
		return CREDVAULT_INVALID;
	if ((frame = malloc(WIRE_HEADER_BYTES + len)) == NULL)
		return CREDVAULT_NOMEM;
	wire_header_put(frame, (uint32_t)len);
	memcpy(frame + WIRE_HEADER_BYTES, request, len);
	r = client_exchange(c, frame, WIRE_HEADER_BYTES + len,
	    CV_ADMIN_REPLY_MAX, &body, &n);
	secmem_wipe(frame, WIRE_HEADER_BYTES + len); /* may carry secrets */
	free(frame);
	if (r == CLIENT_HUNG_UP)
		r = CREDVAULT_BUSY; /* not repeated: it may have been done */
	if (r != 0)
		return r;
	*reply = body;
	*replylen = n;
	return CREDVAULT_OK;
}

void
credvault_reply_free(void *reply, size_t len)
{
	if (reply == NULL)
		return;
	secmem_wipe(reply, len);
	free(reply);
}

/*
 * One request, once more on a new connection when the agent had closed
 * this one without answering: it closes connections that stay idle (or
 * to make room), and a request is safe to repeat.  Closed again:
 * CREDVAULT_BUSY.
 */
static int
client_ask(struct credvault_conn *c, const struct wire_request *req,
    struct wire_reply *rep)
{
	int r = client_roundtrip(c, req, rep);

	if (r != CLIENT_HUNG_UP)
		return r;
	wire_reply_clear(rep);
	if ((r = client_open(c)) != 0)
		return r;
	r = client_roundtrip(c, req, rep);
	return r == CLIENT_HUNG_UP ? CREDVAULT_BUSY : r;
}

/* The status of a decoded reply. */
static int
client_status(struct credvault_conn *c, const struct wire_reply *rep)
{
	switch (rep->status) {
	case WIRE_OK:
		return CREDVAULT_OK;
	case WIRE_DENIED:
		return CREDVAULT_DENIED;
	case WIRE_LOCKED:
		return CREDVAULT_LOCKED;
	case WIRE_FAILED:
		memcpy(c->error, rep->error, strlen(rep->error) + 1);
		return CREDVAULT_FAILED;
	}
	return CREDVAULT_PROTOCOL;
}

int
credvault_get_token(struct credvault_conn *c, const char *name,
    const char *scope, unsigned min_ttl, struct credvault_token **out)
{
	struct wire_request req;
	struct wire_reply rep;
	struct credvault_token *t = NULL;
	int r;

	*out = NULL;
	memset(&rep, 0, sizeof(rep));
	memset(&req, 0, sizeof(req));
	req.op = WIRE_OP_TOKEN;
	if (name == NULL || strlen(name) > CV_NAME_MAX ||
	    (scope != NULL && strlen(scope) > CV_SCOPE_MAX) ||
	    min_ttl > CV_EXPIRES_IN_MAX)
		return CREDVAULT_INVALID;
	memcpy(req.name, name, strlen(name) + 1);
	if (scope != NULL)
		memcpy(req.scope, scope, strlen(scope) + 1);
	req.min_ttl = min_ttl;
	if ((r = client_ask(c, &req, &rep)) != 0 ||
	    (r = client_status(c, &rep)) != 0)
		goto out;
	r = CREDVAULT_NOMEM;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto out;
	t->value = rep.token;
	rep.token = NULL; /* transferred */
	memcpy(t->type, rep.token_type, sizeof(t->type));
	memcpy(t->scope, rep.scope, sizeof(t->scope));
	t->expires_in = rep.expires_in;
	t->expires_at = (long long)rep.expires_at;
	*out = t;
	r = CREDVAULT_OK;
out:
	wire_reply_clear(&rep);
	return r;
}

int
credvault_lock(struct credvault_conn *c)
{
	struct wire_request req;
	struct wire_reply rep;
	int r;

	memset(&req, 0, sizeof(req));
	memset(&rep, 0, sizeof(rep));
	req.op = WIRE_OP_LOCK;
	if ((r = client_ask(c, &req, &rep)) == 0)
		r = client_status(c, &rep);
	wire_reply_clear(&rep);
	return r;
}

int
credvault_fetch_token(const char *path, const char *name, const char *scope,
    unsigned min_ttl, struct credvault_token **out, char *error,
    size_t errorlen)
{
	struct credvault_conn *c = NULL;
	int r;

	*out = NULL;
	if (error != NULL && errorlen > 0)
		error[0] = '\0';
	if ((r = credvault_connect(path, &c)) != 0)
		return r;
	r = credvault_get_token(c, name, scope, min_ttl, out);
	if (r == CREDVAULT_FAILED && error != NULL && errorlen > 0) {
		size_t n = strnlen(c->error, errorlen - 1);

		memcpy(error, c->error, n);
		error[n] = '\0';
	}
	credvault_close(&c);
	return r;
}

const char *
credvault_token_value(const struct credvault_token *t)
{
	return (const char *)t->value->data;
}

size_t
credvault_token_length(const struct credvault_token *t)
{
	return t->value->len;
}

const char *
credvault_token_type(const struct credvault_token *t)
{
	return t->type;
}

const char *
credvault_token_scope(const struct credvault_token *t)
{
	return t->scope;
}

unsigned
credvault_token_expires_in(const struct credvault_token *t)
{
	return t->expires_in;
}

long long
credvault_token_expires_at(const struct credvault_token *t)
{
	return t->expires_at;
}

void
credvault_token_free(struct credvault_token **t)
{
	if (t == NULL || *t == NULL)
		return;
	secbuf_free(&(*t)->value);
	secmem_wipe(*t, sizeof(**t));
	free(*t);
	*t = NULL;
}

const char *
credvault_strerror(int status)
{
	switch (status) {
	case CREDVAULT_OK:
		return "success";
	case CREDVAULT_DENIED:
		return "denied by the agent's policy";
	case CREDVAULT_LOCKED:
		return "the agent is locked";
	case CREDVAULT_FAILED:
		return "the agent could not get a token";
	case CREDVAULT_NO_AGENT:
		return "no agent is running at the socket";
	case CREDVAULT_PROTOCOL:
		return "the agent's reply is malformed";
	case CREDVAULT_TIMEOUT:
		return "the agent did not answer in time";
	case CREDVAULT_INVALID:
		return "invalid argument";
	case CREDVAULT_NOMEM:
		return "out of memory";
	case CREDVAULT_IO:
		return "socket error";
	case CREDVAULT_NO_ACCESS:
		return "no permission to use the agent's socket";
	case CREDVAULT_BUSY:
		return "the agent is busy (too many clients)";
	}
	return "unknown status";
}

const char *
credvault_describe(const char *cls)
{
	return wire_class_text(cls != NULL ? cls : "");
}
