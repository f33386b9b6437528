/* metrics.c: Prometheus metrics (metrics.h). Stub. */
#include "metrics.h"

void metrics_render(struct strbuf *body) { (void)body; }
