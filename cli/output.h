/* SPDX-License-Identifier: MIT */
/* Human and JSON output of records; never a secret. */
#ifndef CV_CLI_OUTPUT_H
#define CV_CLI_OUTPUT_H

#include <jansson.h>

#include "vault/record.h"

/* Print a JSON value (indented) and a newline to stdout. */
void output_json(const json_t *j);

/* A record (admin_record_json()'s form) for people, on stdout. */
void output_record_text(const json_t *r);

#endif
