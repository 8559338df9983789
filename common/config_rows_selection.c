/* config_rows_selection.c: schema rows of process selection by port, executable, language, PID
 * (OBI's top-level selectors). */
#include "config_schema.h"

#include <string.h>

/* Rows of another branch paste here verbatim (the initializer format is the contract). */
static const struct config_row config_rows_selection[] = {
    {.yaml = "open_port",
     .env = {"OTEL_EBPF_OPEN_PORT"},
     .type = CONFIG_T_PORTLIST,
     CONFIG_FIELD(open_port),
     .proc = CONFIG_PROC_PROBE,
     .doc = "Instrument the processes listening on any of these ports or ranges "
	    "(\"80,443,8000-8999\"; YAML may also use a list)."},
    {.yaml = NULL,
     .env = {"OTEL_EBPF_AUTO_TARGET_EXE", "OTEL_GO_AUTO_TARGET_EXE"},
     .type = CONFIG_T_STRING,
     CONFIG_FIELD(auto_target_exe),
     .proc = CONFIG_PROC_PROBE,
     .doc = "Glob on the full executable path selecting processes to instrument "
	    "(`*` also matches `/`; `{a,b}` alternatives). With open_port, both must match."},
    {.yaml = NULL,
     .env = {"OTEL_EBPF_AUTO_TARGET_LANGUAGE"},
     .type = CONFIG_T_GLOB,
     CONFIG_FIELD(general.auto_target_language),
     .proc = CONFIG_PROC_PROBE,
     .doc = "Glob over the detected language (go, java, python, nodejs, ruby, dotnet, rust, php, "
	    "generic) selecting processes."},
    {.yaml = "executable_path",
     .env = {"OTEL_EBPF_EXECUTABLE_PATH"},
     .type = CONFIG_T_REGEX,
     CONFIG_FIELD(general.executable_path),
     .proc = CONFIG_PROC_PROBE,
     .doc = "Deprecated: regex contained in the full executable path selecting processes."},
    {.yaml = "target_pids",
     .env = {"OTEL_EBPF_TARGET_PID"},
     .type = CONFIG_T_STRLIST,
     CONFIG_FIELD(general.target_pids),
     .proc = CONFIG_PROC_PROBE,
     .check = config_check_pids,
     .doc = "Select processes by PID or PID range (\"1234,2000-2100\")."},
};

const struct config_schema config_area_selection = {
    .title = "Selection (what to instrument)",
    .rows = config_rows_selection,
    .n = sizeof(config_rows_selection) / sizeof(config_rows_selection[0]),
};
