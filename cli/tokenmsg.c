/* SPDX-License-Identifier: MIT */
/* Messages and exit codes for failed token requests (token, exec). */
#include "cli/tokenmsg.h"

#include <stdio.h>
#include <string.h>

#include "client/credvault.h"
#include "client/wire.h"
#include "base/err.h"
#include "base/banned.h"

/* What to do next after an upstream or hook failure. */
static const char *
tokenmsg_hint(const char *cls)
{
	if (strcmp(cls, "invalid_client") == 0)
		return "; rotate it: credvault rotate ";
	if (strcmp(cls, "invalid_scope") == 0)
		return "; ask only for scopes the API client has "
		    "(commercetools refuses any narrowing for a client with "
		    "manage_project), see: credvault show ";
	if (strcmp(cls, "temporarily_unavailable") == 0 ||
	    strcmp(cls, "server_error") == 0)
		return "; try again later";
	if (strncmp(cls, "hook_", 5) == 0 || strcmp(cls, "policy_error") == 0 ||
	    strcmp(cls, "mint_failed") == 0)
		return "; the agent's log names the hook or file and why";
	return "";
}

int
tokenmsg_explain(int status, const char *cls, const char *name,
    const char *path, char *buf, size_t len)
{
	const char *hint;
	int err;

	switch (status) {
	case CREDVAULT_DENIED:
		(void)snprintf(buf, len, "the agent denied a token for '%s' to "
		    "this process; its log says why (the vault owner allows "
		    "peers in hooks.d/%s)", name, name);
		return CV_EXIT_REFUSED;
	case CREDVAULT_LOCKED:
		(void)snprintf(buf, len, "the agent at '%s' is locked; stop it "
		    "and start a new one: credvault agent", path);
		return CV_EXIT_UNLOCK;
	case CREDVAULT_NO_ACCESS:
		(void)snprintf(buf, len, "no permission to use the agent's "
		    "socket '%s'; it serves its own user, or the group of "
		    "its --socket-group", path);
		return CV_EXIT_REFUSED;
	case CREDVAULT_NO_AGENT:
		(void)snprintf(buf, len, "no agent at '%s'; start one: eval "
		    "\"$(credvault agent)\", or set CREDVAULT_SOCKET", path);
		return CV_EXIT_FAILURE;
	case CREDVAULT_BUSY:
		(void)snprintf(buf, len, "the agent at '%s' is busy (too many "
		    "clients); try again shortly, and if it stays so, see its "
		    "log", path);
		return CV_EXIT_FAILURE;
	case CREDVAULT_FAILED:
		if (strcmp(cls, "busy") == 0) {
			(void)snprintf(buf, len, "the agent at '%s' is busy (too "
			    "many clients or hook runs); try again shortly, and "
			    "if it stays so, see its log", path);
			return CV_EXIT_FAILURE;
		}
		break;
	default:
		(void)snprintf(buf, len, "cannot get a token for '%s' from the "
		    "agent at '%s': %s", name, path,
		    credvault_strerror(status));
		return CV_EXIT_FAILURE;
	}
	err = wire_class_err(cls);
	if (strcmp(cls, "no_such_record") == 0) {
		(void)snprintf(buf, len, "no record '%s' in the agent's vault; "
		    "see: credvault list", name);
	} else if (err == CV_E_UPSTREAM) {
		hint = tokenmsg_hint(cls);
		(void)snprintf(buf, len, "failed to mint a token for '%s': %s "
		    "(%s)%s%s", name, wire_class_text(cls), cls, hint,
		    hint[strlen(hint) > 0 ? strlen(hint) - 1 : 0] == ' ' ?
		    name : "");
	} else {
		(void)snprintf(buf, len, "the agent could not give a token for "
		    "'%s': %s (%s)", name, wire_class_text(cls), cls);
	}
	return cv_exit_code(err);
}
