/* reload.c: reload (reload.h). Stub: replaced by the reload work. */
#include "reload.h"

int reload_run(struct strbuf *report)
{
	strbuf_printf(report, "reload is not available yet\n");
	return 1;
}
