/* SPDX-License-Identifier: MIT */
/* Fuzzes the hooks.d stack file parser (hooks/stack.c) over raw bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hooks/stack.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stack *st = NULL;
	char why[CV_HOOK_REASON_MAX];
	size_t i, n = 0;

	if (stack_parse((const char *)data, size, "hooks.d/fuzz", &st, why,
	    sizeof(why)) != 0) {
		/* A failure leaves nothing behind and always says why. */
		if (st != NULL || strnlen(why, sizeof(why)) == 0 ||
		    strnlen(why, sizeof(why)) == sizeof(why))
			__builtin_trap();
		return 0;
	}
	/* Every entry is well-formed: what the evaluator relies on. */
	for (i = 0; i < st->n; i++) {
		const struct stack_entry *e = &st->entries[i];

		if ((unsigned)e->phase >= PROTO_PHASES ||
		    e->nargs > CV_STACK_ARGS_MAX || e->line == 0 ||
		    (e->module == STACK_MODULE_EXEC && e->path[0] != '/') ||
		    (e->module == STACK_MODULE_PEER && e->pinned))
			__builtin_trap();
		n += strlen(e->path);
	}
	if (st->n > CV_STACK_LINES_MAX || n > size)
		__builtin_trap();
	stack_free(&st);
	return 0;
}
