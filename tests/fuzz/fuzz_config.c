/* fuzz_config.c: libFuzzer harness for the config loader. Any bytes go to
 * config_load_string (cut at the first NUL, as a C string is); everything
 * it returns is freed, so leaks show. With -DTEND_FUZZ the loader reads no
 * files (include, env-file), so the host's files cannot leak in. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct diagnostics diagnostics = {0};
	struct config *config = config_load_string("fuzz.ini", text, &diagnostics);
	if (config != NULL) {
		/* exercise what reload and `-- CMD` do with a model */
		for (size_t i = 0; i < config->service_count; i++)
			if (!config_service_equal(&config->services[i], &config->services[i]))
				abort();
		for (size_t i = 0; i < config->group_count; i++)
			if (!config_group_equal(config, &config->groups[i], config, &config->groups[i]))
				abort();
		char *argv[] = {"cmd", "arg", NULL};
		config_add_main_command(config, argv, &diagnostics);
		config_free(config);
	} else if (diagnostics.count == 0) {
		abort(); /* a rejected config must say why */
	}
	diagnostics_free(&diagnostics);
	free(text);
	return 0;
}
