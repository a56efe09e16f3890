/* SPDX-License-Identifier: MIT */
/* The CTP_* environment preset parser: forms, errors and line numbers. */
#include <string.h>

#include "crypto/secmem.h"
#include "base/err.h"
#include "base/limits.h"
#include "vault/preset.h"
#include "test.h"
#include "base/banned.h"

static int
parse(const char *text, struct preset *p, unsigned *line, const char **why)
{
	static struct secbuf *sb;

	if (sb == NULL)
		sb = secbuf_new(CV_ENV_FILE_MAX + 1);
	if (secbuf_set(sb, text, strlen(text)) != 0)
		return CV_E_TOOBIG;
	return preset_parse(sb, p, line, why);
}

#define ALL6                                                                  \
	"CTP_PROJECT_KEY=pk\nCTP_CLIENT_SECRET=sec\nCTP_CLIENT_ID=cid\n"      \
	"CTP_AUTH_URL=https://auth\nCTP_API_URL=https://api\n"                \
	"CTP_SCOPES=a:pk b:pk\n"

int
main(void)
{
	struct preset p;
	unsigned line;
	const char *why;

	ASSERT_INT_EQ(parse(ALL6, &p, &line, &why), 0);
	ASSERT_STR_EQ(p.project_key, "pk");
	ASSERT_STR_EQ(p.secret, "sec");
	ASSERT_INT_EQ(p.secret_len, 3);
	ASSERT_STR_EQ(p.scope, "a:pk b:pk");
	ASSERT_INT_EQ(parse("# x\r\n\n  export CTP_PROJECT_KEY='pk'  \r\n"
	    "CTP_CLIENT_SECRET=\"s\"\nCTP_CLIENT_ID=c\nCTP_AUTH_URL=a\n"
	    "CTP_API_URL=b\nCTP_SCOPES=s\nFOO=bar", &p, &line, &why), 0);
	ASSERT_STR_EQ(p.project_key, "pk");
	ASSERT_STR_EQ(p.secret, "s");
	ASSERT_INT_EQ(parse(ALL6 "CTP_SCOPES=x\n", &p, &line, &why),
	    CV_E_INVALID);
	ASSERT_INT_EQ(line, 7);
	ASSERT_STR_EQ(why, "variable set twice");
	ASSERT_INT_EQ(parse("\n\nCTP_PROJECT_KEY\n", &p, &line, &why),
	    CV_E_INVALID);
	ASSERT_INT_EQ(line, 3);
	ASSERT_INT_EQ(parse("CTP_PROJECT_KEY=a\"b\n", &p, &line, &why),
	    CV_E_INVALID);
	ASSERT_INT_EQ(parse("CTP_PROJECT_KEY='ab\n", &p, &line, &why),
	    CV_E_INVALID);
	ASSERT_INT_EQ(parse("CTP_PROJECT_KEY='a'b\n", &p, &line, &why),
	    CV_E_INVALID);
	ASSERT_INT_EQ(parse("CTP_NOPE=1\n", &p, &line, &why), CV_E_INVALID);
	ASSERT_STR_EQ(why, "unknown CTP_ variable");
	ASSERT_INT_EQ(parse("CTP_PROJECT_KEY=pk\n", &p, &line, &why),
	    CV_E_NOTFOUND);
	ASSERT_INT_EQ(line, 0);
	ASSERT_STR_EQ(why, "CTP_CLIENT_ID");
	ASSERT_INT_EQ(parse("", &p, &line, &why), CV_E_NOTFOUND);
	return test_done("test_preset");
}
