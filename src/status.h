/* status.h: `tendctl status` and `tree` (SPEC §6): the table for people
 * and the JSON object for scripts, built from the running tree. */
#ifndef TEND_STATUS_H
#define TEND_STATUS_H

#include "protocol.h"
#include "util.h"

/* `status [NAME...] [--json]`, `tree`: output into body; a reply code. */
int status_command(const struct request *request, struct strbuf *body);
int status_tree_command(const struct request *request, struct strbuf *body);

#endif
