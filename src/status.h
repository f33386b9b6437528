/* status.h: `tendctl status` and `tree` (SPEC §6): the table for people
 * and the JSON object for scripts, built from the running tree. */
#ifndef TEND_STATUS_H
#define TEND_STATUS_H

#include "protocol.h"
#include "util.h"

/* `status [NAME...] [--json]`, `tree`: output into body; a reply code. */
int status_command(const struct request *request, struct strbuf *body);
int status_tree_command(const struct request *request, struct strbuf *body);

/* --- formatting, exposed for tests and the other commands --- */

/* A duration in the two largest units: "3d4h", "2h5m", "5m", "41s", "0s"
 * (a negative one is "0s"). Returns buffer. */
const char *status_format_duration(long long seconds, char *buffer, size_t size);
/* text as a JSON string with its quotes: '"' and '\' escaped, control
 * bytes as \u00XX, valid UTF-8 kept, every byte of an invalid sequence
 * replaced by U+FFFD. */
void json_append_string(struct strbuf *body, const char *text);

#endif
