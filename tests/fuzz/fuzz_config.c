/* fuzz_config.c: libFuzzer harness for the YAML configuration front end, validation and the dump.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The dump of an accepted document must read back (every type formats what it parses). */
static void fuzz_round_trip(const struct obi_config *cfg)
{
	struct obi_config back;
	char *text = NULL;
	size_t len = 0;
	char err[512];
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return;
	config_dump(cfg, f);
	fclose(f);
	config_init_defaults(&back);
	if (config_apply_yaml(&back, text, len, "dump.yaml", err, sizeof(err)) != 0) {
		fprintf(stderr, "dump does not read back: %s\n%s\n", err, text);
		abort();
	}
	config_free(&back);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct obi_config cfg;
	char err[512];

	config_init_defaults(&cfg);
	if (config_apply_yaml(&cfg, (const char *)data, size, "fuzz.yaml", err, sizeof(err)) == 0) {
		/* whatever was accepted must also survive validation and the dump */
		(void)config_validate(&cfg, CONFIG_PROC_ALL, err, sizeof(err));
		fuzz_round_trip(&cfg);
	}
	config_free(&cfg);
	return 0;
}
