/* config_rows_naming.c: schema rows of service naming rows. */
#include "config_schema.h"

#include <string.h>

/* Rows of another branch paste here verbatim (the initializer format is the contract). */
static const struct config_row config_rows_naming[] = {
    {.yaml = "service_name",
     .env = {"OTEL_SERVICE_NAME", "OTEL_EBPF_SERVICE_NAME"},
     .type = CONFIG_T_STRING,
     CONFIG_FIELD(service_name),
     .proc = CONFIG_PROC_ENRICHER,
     .doc = "Service name for the selected processes (default: derived from the executable)."},
    {.yaml = "service_namespace",
     .env = {"OTEL_EBPF_SERVICE_NAMESPACE"},
     .type = CONFIG_T_STRING,
     CONFIG_FIELD(service_namespace),
     .proc = CONFIG_PROC_ENRICHER,
     .doc = "Service namespace for the selected processes."},
};

const struct config_schema config_area_naming = {
    .title = "Service naming",
    .rows = config_rows_naming,
    .n = sizeof(config_rows_naming) / sizeof(config_rows_naming[0]),
};
