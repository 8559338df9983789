/* fuzz_printer.c: libFuzzer harness for the trace printers (enricher/printer.c): spans whose
 * strings come from fuzzed bytes through the enricher's own sanitizer, as application bytes
 * do. Every json line must parse (cJSON) and give back the strings it was given; text must
 * stay inside its buffer. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "printer.h"
#include "span_build.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next string of the input: a length byte, then that many bytes (cut at the end). */
static const char *fuzz_next(const uint8_t **d, size_t *n, size_t *len)
{
	const char *p;

	*len = *n ? **d : 0;
	if (*n) {
		(*d)++;
		(*n)--;
	}
	if (*len > *n)
		*len = *n;
	p = (const char *)*d;
	*d += *len;
	*n -= *len;
	return p;
}

/* The next string sanitized into dst. */
static void fuzz_take(const uint8_t **d, size_t *n, char *dst, size_t dstsz)
{
	size_t len;
	const char *p = fuzz_next(d, n, &len);

	span_build_copy_safe(dst, dstsz, p, len);
}

/* The same into a string attribute of s (cut at its bound; empty: absent). */
static void fuzz_take_attr(const uint8_t **d, size_t *n, struct span *s, enum span_attr a)
{
	size_t len;
	const char *p = fuzz_next(d, n, &len);

	span_build_set_safe(s, a, p, len);
}

static void fuzz_expect_str(const cJSON *o, const char *key, const char *want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (want[0] && (!cJSON_IsString(v) || strcmp(v->valuestring, want) != 0))
		abort();
}

static void fuzz_check_json(const char *text, const struct span *s)
{
	cJSON *root = cJSON_Parse(text);
	const cJSON *attrs, *svc;

	if (!root)
		abort(); /* the printer wrote something that is not JSON */
	attrs = cJSON_GetObjectItemCaseSensitive(root, "attributes");
	svc = cJSON_GetObjectItemCaseSensitive(root, "service");
	if (!cJSON_IsObject(attrs) || !cJSON_IsObject(svc))
		abort();
	fuzz_expect_str(attrs, "url.path", span_str(s, SPAN_A_URL_PATH));
	fuzz_expect_str(attrs, "http.request.method", span_str(s, SPAN_A_HTTP_METHOD));
	fuzz_expect_str(attrs, "user_agent.original", span_str(s, SPAN_A_USER_AGENT));
	fuzz_expect_str(svc, "name", s->svc->name);
	cJSON_Delete(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct span s;
	static char stext[SPAN_TEXT_CAP], svc_name[256], ns[256], exe[256], res[256], text[8192];
	struct span_service svc = {.name = svc_name,
				   .namespace_ = ns,
				   .instance_id = "fuzz:1",
				   .sdk_language = "generic",
				   .exe_path = exe,
				   .resource_attrs = res,
				   .pid = 1};
	struct printer pr;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	span_init(&s, stext, sizeof(stext));
	s.type = SPAN_TYPE_HTTP;
	/* As span_build_http: the body sizes always there, a status code only when > 0. */
	span_set_int(&s, SPAN_A_HTTP_REQ_BODY_SIZE, 0);
	span_set_int(&s, SPAN_A_HTTP_RESP_BODY_SIZE, 0);
	if (size >= 16) {
		memcpy(&s.start_ns, data, 8);
		memcpy(&s.end_ns, data + 8, 8);
		s.kind = (data[0] & 1) ? SPAN_KIND_SERVER : SPAN_KIND_CLIENT;
		if (data[1])
			span_set_int(&s, SPAN_A_HTTP_STATUS_CODE, data[1] * 4);
		s.peer_port = data[2];
		s.host_port = data[3];
		data += 16;
		size -= 16;
	}
	fuzz_take_attr(&data, &size, &s, SPAN_A_HTTP_METHOD);
	fuzz_take_attr(&data, &size, &s, SPAN_A_URL_PATH);
	fuzz_take_attr(&data, &size, &s, SPAN_A_URL_QUERY);
	fuzz_take_attr(&data, &size, &s, SPAN_A_URL_FULL);
	fuzz_take_attr(&data, &size, &s, SPAN_A_USER_AGENT);
	fuzz_take(&data, &size, s.peer_addr, sizeof(s.peer_addr));
	fuzz_take(&data, &size, s.host_addr, sizeof(s.host_addr));
	fuzz_take(&data, &size, svc_name, sizeof(svc_name));
	fuzz_take(&data, &size, ns, sizeof(ns));
	fuzz_take(&data, &size, res, sizeof(res));
	span_set_str(&s, SPAN_A_NAME, span_str(&s, SPAN_A_HTTP_METHOD),
		     span_str_len(&s, SPAN_A_HTTP_METHOD));
	snprintf(exe, sizeof(exe), "/fuzz");
	s.svc = &svc;
	if (printer_format_text(&s, text, sizeof(text)) >= 0 && !memchr(text, '\0', sizeof(text)))
		abort();
	f = open_memstream(&out, &outlen);
	if (!f)
		return 0;
	printer_init(&pr, CONFIG_PRINTER_JSON, f);
	printer_span(&pr, &s);
	printer_batch_end(&pr);
	fclose(f);
	if (!out || !strchr(out, '\n'))
		abort();
	*strchr(out, '\n') = '\0';
	fuzz_check_json(out, &s);
	free(out);
	return 0;
}
