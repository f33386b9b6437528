/* server.c: the control socket (server.h). Stub: replaced by the
 * control-socket work. */
#include "server.h"

int server_open(const struct config *config) { (void)config; return 0; }
void server_reconfigure(const struct config *config) { (void)config; }
void server_close(void) {}
void server_publish(const char *text_line, const char *json_line) { (void)text_line, (void)json_line; }
bool server_has_subscribers(void) { return false; }
