/* SPDX-License-Identifier: MIT */
/* Fuzz the CTP_* environment preset parser. */
#include <stdint.h>
#include <string.h>

#include "crypto/secmem.h"
#include "base/limits.h"
#include "vault/preset.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct secbuf *text;
	struct preset p;
	const char *why;
	unsigned line;

	if (text == NULL && (text = secbuf_new(CV_ENV_FILE_MAX + 1)) == NULL)
		return 0;
	if (secbuf_set(text, data, size) != 0)
		return 0;
	if (preset_parse(text, &p, &line, &why) == 0) {
		if (strlen(p.secret) != p.secret_len || p.project_key[0] == 0)
			__builtin_trap();
	} else if (why == NULL)
		__builtin_trap();
	return 0;
}
