/* printer.h: the trace printer (OTEL_EBPF_TRACE_PRINTER): text, json, json_indent, counter. */
#ifndef OBI_PRINTER_H
#define OBI_PRINTER_H

#include <stdint.h>
#include <stdio.h>

#include "../common/config.h"
#include "span.h"

struct printer {
	enum config_printer mode;
	FILE *out;
	uint64_t count; /* spans printed so far (counter mode prints it) */
};

void printer_init(struct printer *p, enum config_printer mode, FILE *out);
/* Prints one span (text/json/json_indent); counter mode only counts. */
void printer_span(struct printer *p, const struct span *s);
/* End of a batch: counter mode prints "Processed <n> requests"; others flush. */
void printer_batch_end(struct printer *p);

/* Text form of one span, OBI's one-line format, without the trailing newline. */
int printer_format_text(const struct span *s, char *buf, size_t len);

#endif /* OBI_PRINTER_H */
