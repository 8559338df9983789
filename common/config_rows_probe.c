/* config_rows_probe.c: schema rows of the `probe` section: socket, uids and queue of the
 * probe/enricher split. */
#include "config_schema.h"

#include <string.h>

/* Rows of another branch paste here verbatim (the initializer format is the contract). */
static const struct config_row config_rows_probe[] = {
    {.yaml = "probe.socket_path",
     .env = {"OTEL_EBPF_PROBE_SOCKET_PATH"},
     .type = CONFIG_T_STRING,
     CONFIG_FIELD(socket_path),
     .def = "/var/run/obi/obi.sock",
     .proc = CONFIG_PROC_PROBE | CONFIG_PROC_ENRICHER,
     .check = config_check_sock_path,
     .doc = "Unix socket between obi-probe and obi-enricher when they run as two containers "
	    "(absolute path, under 108 bytes; on a shared volume the socket is in "
	    "DIR/obi-probe.d/; `obi` on a single host uses a socketpair instead; "
	    "docs/security.md)."},
    {.yaml = "probe.enricher_uid",
     .env = {"OTEL_EBPF_ENRICHER_UID"},
     .type = CONFIG_T_UINT,
     CONFIG_FIELD(enricher_uid),
     .min = 1,
     .max = UINT32_MAX - 1,
     .def = "65519",
     .proc = CONFIG_PROC_ALL,
     .doc = "User id the unprivileged obi-enricher runs as: one of its own, not 65534 (nobody), "
	    "which other processes share; never 0."},
    {.yaml = "probe.enricher_gid",
     .env = {"OTEL_EBPF_ENRICHER_GID"},
     .type = CONFIG_T_UINT,
     CONFIG_FIELD(enricher_gid),
     .min = 1,
     .max = UINT32_MAX - 1,
     .def = "65519",
     .proc = CONFIG_PROC_ALL,
     .doc = "Group id the unprivileged obi-enricher runs as (never 0)."},
    {.yaml = "probe.uid",
     .env = {"OTEL_EBPF_PROBE_UID"},
     .type = CONFIG_T_UINT,
     CONFIG_FIELD(probe_uid),
     .min = 1,
     .max = UINT32_MAX - 1,
     .def = "65518",
     .proc = CONFIG_PROC_PROBE | CONFIG_PROC_ENRICHER,
     .doc = "User id obi-probe switches to after start-up, keeping only its run-time "
	    "capabilities (where it holds CAP_SETUID; otherwise it stays uid 0). The enricher "
	    "accepts a probe with this uid or 0."},
    {.yaml = "probe.gid",
     .env = {"OTEL_EBPF_PROBE_GID"},
     .type = CONFIG_T_UINT,
     CONFIG_FIELD(probe_gid),
     .min = 1,
     .max = UINT32_MAX - 1,
     .def = "65518",
     .proc = CONFIG_PROC_PROBE | CONFIG_PROC_ENRICHER,
     .doc = "Group id obi-probe switches to after start-up (never 0)."},
    {.yaml = "probe.send_queue_size",
     .env = {"OTEL_EBPF_PROBE_SEND_QUEUE_SIZE"},
     .type = CONFIG_T_SIZE,
     CONFIG_FIELD(send_queue_bytes),
     .min = 64 * KIB,
     .max = GIB,
     .def = "8MiB",
     .proc = CONFIG_PROC_PROBE,
     .doc = "Bytes the probe buffers for the enricher before it drops batches."},
};

const struct config_schema config_area_probe = {
    .title = "Probe and enricher split (`probe`)",
    .rows = config_rows_probe,
    .n = sizeof(config_rows_probe) / sizeof(config_rows_probe[0]),
};
