/* metrics.h: `tendctl metrics`, the Prometheus text exposition format. */
#ifndef TEND_METRICS_H
#define TEND_METRICS_H

#include "util.h"

void metrics_render(struct strbuf *body);

#endif
