/* SPDX-License-Identifier: MIT */
/* Human and JSON output of records; never a secret. */
#ifndef CV_CLI_OUTPUT_H
#define CV_CLI_OUTPUT_H

#include <jansson.h>

#include "vault/record.h"

/* Print a JSON value (indented) and a newline to stdout. */
void output_json(const json_t *j);

/* A record as JSON; secrets are never included.  Caller decrefs. */
json_t *output_record_json(const struct record *r);

/* A record for people, on stdout. */
void output_record_text(const struct record *r);

#endif
