/* SPDX-License-Identifier: MIT */
/* Reading passphrases and secrets without echo and within bounds. */
#include "cli/prompt.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "base/err.h"
#include "base/banned.h"

static void
prompt_chomp(struct secbuf *sb)
{
	if (sb->len > 0 && sb->data[sb->len - 1] == '\n') {
		sb->data[--sb->len] = '\0';
		if (sb->len > 0 && sb->data[sb->len - 1] == '\r')
			sb->data[--sb->len] = '\0';
	}
}

int
prompt_read_fd(int fd, size_t max, struct secbuf **out)
{
	struct secbuf *sb;
	ssize_t n;

	*out = NULL;
	/* Room for the trailing newline we strip, and one byte to tell an
	 * input at the limit from one over it. */
	if ((sb = secbuf_new(max + 3)) == NULL)
		return CV_E_NOMEM;
	for (;;) {
		if (sb->len == sb->cap) {
			secbuf_free(&sb);
			return CV_E_TOOBIG;
		}
		n = read(fd, sb->data + sb->len, sb->cap - sb->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			secbuf_free(&sb);
			return CV_E_IO;
		}
		if (n == 0)
			break;
		sb->len += (size_t)n;
	}
	sb->data[sb->len] = '\0';
	prompt_chomp(sb);
	if (sb->len > max) {
		secbuf_free(&sb);
		return CV_E_TOOBIG;
	}
	*out = sb;
	return 0;
}

int
prompt_read_file(const char *path, size_t max, struct secbuf **out)
{
	struct stat st;
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? CV_E_NOTFOUND : CV_E_IO;
	if (fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) ||
	    S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
		close(fd);
		return CV_E_INVALID;
	}
	rc = prompt_read_fd(fd, max, out);
	close(fd);
	return rc;
}

static int
prompt_once(int fd, const char *question, size_t max, struct secbuf **out)
{
	struct termios old, noecho;
	struct secbuf *sb;
	sigset_t block, saved;
	char c;
	ssize_t n;
	int rc = 0;

	*out = NULL;
	if ((sb = secbuf_new(max + 1)) == NULL)
		return CV_E_NOMEM;
	if (tcgetattr(fd, &old) != 0) {
		secbuf_free(&sb);
		return CV_E_NOTFOUND;
	}
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	noecho.c_lflag |= ICANON;
	/* Keep ^C from leaving the terminal without echo. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTSTP);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &saved);
	/* TCSADRAIN, not TCSAFLUSH: what was typed ahead (the passphrase,
	 * or the repeat line before "Repeat:" shows) is kept, not lost. */
	if (write(fd, question, strlen(question)) < 0 ||
	    tcsetattr(fd, TCSADRAIN, &noecho) != 0) {
		rc = CV_E_IO;
		goto out;
	}
	for (;;) {
		n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n')
			break;
		if (sb->len >= max) {
			rc = CV_E_TOOBIG;
			continue; /* drain the line */
		}
		sb->data[sb->len++] = (unsigned char)c;
	}
	c = 0;
	tcsetattr(fd, TCSADRAIN, &old);
	if (write(fd, "\n", 1) < 0)
		rc = rc != 0 ? rc : CV_E_IO;
out:
	sigprocmask(SIG_SETMASK, &saved, NULL);
	if (rc != 0)
		secbuf_free(&sb);
	*out = sb;
	return rc;
}

int
prompt_tty(const char *question, int confirm, size_t max,
    struct secbuf **out)
{
	struct secbuf *a = NULL, *b = NULL;
	int fd, rc;

	*out = NULL;
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return CV_E_NOTFOUND;
	if ((rc = prompt_once(fd, question, max, &a)) != 0)
		goto out;
	if (confirm) {
		if ((rc = prompt_once(fd, "Repeat: ", max, &b)) != 0)
			goto out;
		if (a->len != b->len || !secmem_equal(a->data, b->data,
		    a->len)) {
			rc = CV_E_INVALID;
			goto out;
		}
	}
	*out = a;
	a = NULL; /* transferred */
out:
	secbuf_free(&a);
	secbuf_free(&b);
	close(fd);
	return rc;
}

int
prompt_confirm(const char *question)
{
	char line[16];
	size_t n = 0;
	ssize_t got;
	char ch;
	int fd;

	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return CV_E_NOTFOUND;
	if (write(fd, question, strlen(question)) < 0) {
		close(fd);
		return CV_E_IO;
	}
	for (;;) {
		got = read(fd, &ch, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0 || ch == '\n')
			break;
		if (n < sizeof(line) - 1)
			line[n++] = ch;
	}
	close(fd);
	line[n] = '\0';
	return strcmp(line, "y") == 0 || strcmp(line, "Y") == 0 ||
	    strcmp(line, "yes") == 0;
}

int
prompt_stdin_is_tty(void)
{
	return isatty(STDIN_FILENO);
}
