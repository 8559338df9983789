/* fuzz_config.c: libFuzzer harness for the YAML configuration loader and the dump it feeds. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct obi_config cfg;
	char err[512];
	FILE *sink;

	config_init_defaults(&cfg);
	if (config_apply_yaml(&cfg, (const char *)data, size, "fuzz.yaml", err, sizeof(err)) == 0) {
		/* whatever was accepted must also survive validation and the dump */
		(void)config_validate(&cfg, CONFIG_PROC_ALL, err, sizeof(err));
		sink = fopen("/dev/null", "w");
		if (sink) {
			config_dump(&cfg, sink);
			fclose(sink);
		}
	}
	config_free(&cfg);
	return 0;
}
