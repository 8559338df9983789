/* fuzz_otlp.c: libFuzzer harness for what OTLP export reads from outside: collector answers
 * (partial success, grpc-status lines and details, gRPC frames) and OTEL_RESOURCE_ATTRIBUTES. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_grpc.h"
#include "otlp_model.h"
#include "otlp_result.h"

static void fuzz_otlp_printable(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n >= cap)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((uint8_t)s[i] < 0x20 || (uint8_t)s[i] >= 0x7f)
			abort();
}

static void fuzz_otlp_resource(const uint8_t *p, size_t n)
{
	char *env = malloc(n + 1);
	struct span_service svc = {.name = "s",
				   .namespace_ = "",
				   .instance_id = "i",
				   .sdk_language = "go",
				   .exe_path = "",
				   .pid = 1};
	const struct otlp_host host = {.host_name = "h", .sdk_name = "obi", .sdk_version = "0"};
	struct otlp_resource r;

	if (!env)
		return;
	memcpy(env, p, n);
	env[n] = '\0';
	svc.resource_attrs = env;
	if (otlp_resource_build(&r, &svc, &host) == 0) {
		for (size_t i = 0; i < r.n_attrs; i++) {
			if (!r.attrs[i].key[0])
				abort(); /* empty keys are rejected */
			for (size_t j = 0; j < i; j++)
				if (!strcmp(r.attrs[i].key, r.attrs[j].key))
					abort(); /* keys are unique */
		}
		if (strcmp(r.attrs[0].key, "service.name") || strcmp(r.attrs[0].v.s, "s"))
			abort(); /* a process cannot rename itself through the list */
		otlp_resource_free(&r);
	}
	free(env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct otlp_partial part;
	struct otlp_grpc_status gs;
	const uint8_t *msg;
	size_t len;

	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		if (otlp_partial_parse_pb(data + 1, size - 1, &part) == 0)
			fuzz_otlp_printable(part.message, sizeof(part.message));
		break;
	case 1:
		if (otlp_partial_parse_json((const char *)data + 1, size - 1, &part) == 0)
			fuzz_otlp_printable(part.message, sizeof(part.message));
		break;
	case 2:
		otlp_grpc_status_reset(&gs);
		for (size_t i = 1, start = 1; i <= size; i++)
			if (i == size || data[i] == '\n') {
				otlp_grpc_status_line(&gs, (const char *)data + start, i - start);
				start = i + 1;
			}
		fuzz_otlp_printable(gs.message, sizeof(gs.message));
		if (gs.retry_delay_ns < -1)
			abort();
		(void)otlp_grpc_outcome(&gs, 200);
		break;
	case 3:
		if (otlp_grpc_unframe(data + 1, size - 1, &msg, &len) == 0 && len &&
		    (msg < data + 1 || msg + len > data + size))
			abort();
		break;
	default:
		fuzz_otlp_resource(data + 1, size - 1);
	}
	return 0;
}
