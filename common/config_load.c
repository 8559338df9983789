/* config_load.c: the argv source and each process's start-up sequence (all errors, then exit 2). */
#include "config_schema.h"

#include <stdlib.h>
#include <string.h>

/* Room for every error of a bad configuration; more are counted, not printed. */
#define CONFIG_ERRS_MAX (64u << 10)

/*
 * The launcher warns about planned options; the children it starts inherit this marker and stay
 * quiet, so one run prints one warning.
 */
#define CONFIG_WARNED_ENV "OBI_CONFIG_PLANNED_WARNED"

static bool config_flag_is(const char *arg, const char *name)
{
	/* Go's flag package accepts -name and --name alike */
	if (arg[0] != '-')
		return false;
	arg += arg[1] == '-' ? 2 : 1;
	return strcmp(arg, name) == 0;
}

static const char *config_flag_value(const char *arg, const char *name)
{
	size_t len = strlen(name);

	if (arg[0] != '-')
		return NULL;
	arg += arg[1] == '-' ? 2 : 1;
	if (strncmp(arg, name, len) == 0 && arg[len] == '=')
		return arg + len + 1;
	return NULL;
}

/* Reads the command line: the config file flag and the action. -1 with an error. */
static int config_argv(int argc, char **argv, const char **path, enum config_action *act,
		       struct config_errs *e)
{
	int i;

	for (i = 1; i < argc && argv && argv[i]; i++) {
		const char *a = argv[i], *v;

		if (config_flag_is(a, "config")) {
			if (i + 1 >= argc || !argv[i + 1]) {
				config_errs_add(e, "config: %.64s needs a FILE argument", a);
				return -1;
			}
			*path = argv[++i];
		} else if ((v = config_flag_value(a, "config"))) {
			*path = v;
		} else if (config_flag_is(a, "check-config")) {
			*act = CONFIG_ACTION_CHECK;
		} else if (config_flag_is(a, "dump-config")) {
			*act = CONFIG_ACTION_DUMP;
		} else if (config_flag_is(a, "config-docs")) {
			*act = CONFIG_ACTION_DOCS;
		} else {
			config_errs_add(
			    e,
			    "config: unknown argument \"%.200s\" (expected -config FILE, "
			    "--check-config, --dump-config or --config-docs)",
			    a);
			return -1;
		}
	}
	return 0;
}

static void config_warn_planned(const struct obi_config *cfg, char *const *envp, unsigned proc)
{
	const char *w = config_getenv(envp, CONFIG_WARNED_ENV);

	if (!cfg->planned_seen || (w && *w))
		return;
	fprintf(stderr,
		"config: warning: recognised but not implemented yet (accepted, no effect): %s\n",
		cfg->planned_seen);
	if (proc & CONFIG_PROC_LAUNCHER)
		setenv(CONFIG_WARNED_ENV, "1", 1);
}

/* File, then environment; both are read whatever the other's errors, to report them all. */
static void config_sources(struct obi_config *cfg, const char *path, char *const *envp,
			   struct config_errs *e)
{
	const char *env_path = config_getenv(envp, "OTEL_EBPF_CONFIG_PATH");

	if (env_path && *env_path)
		path = env_path;
	if (path && *path) {
		(void)config_yaml_load_file(cfg, path, envp, e);
		cfg->config_path = strdup(path);
		if (!cfg->config_path)
			config_errs_add(e, "config: out of memory");
	}
	(void)config_env_load(cfg, envp, e);
}

int config_load(struct obi_config *cfg, int argc, char **argv, char *const *envp, unsigned proc,
		enum config_action *action)
{
	char *buf = malloc(CONFIG_ERRS_MAX);
	struct config_errs e;
	const char *path = NULL;
	enum config_action act = CONFIG_ACTION_RUN;
	unsigned i;
	int rc = 2;

	config_init_defaults(cfg);
	config_errs_init(&e, buf, buf ? CONFIG_ERRS_MAX : 0);
	config_errs_secrets_from_env(&e, envp);
	if (!buf) {
		fputs("config: out of memory\n", stderr);
		goto out;
	}
	if (config_argv(argc, argv, &path, &act, &e) < 0)
		goto out;
	/* the docs describe the schema, not this environment */
	if (act == CONFIG_ACTION_DOCS)
		goto done;
	config_sources(cfg, path, envp, &e);
	for (i = 0;
	     i < e.nsecrets && i < sizeof(cfg->secret_values) / sizeof(cfg->secret_values[0]); i++)
		cfg->secret_values[cfg->n_secret_values++] = e.secrets[i];
	/* a dump is how one finds out what is missing, so it must not need a complete config */
	if (act != CONFIG_ACTION_DUMP)
		(void)config_validate_into(cfg, proc, &e);
	if (e.n)
		goto out;
	config_warn_planned(cfg, envp, proc);
done:
	if (action)
		*action = act;
	rc = 0;
out:
	if (rc) {
		if (buf)
			fprintf(stderr, "%s\n", buf);
		if (e.dropped)
			fprintf(stderr, "config: ... and %u more errors\n", e.dropped);
		if (e.n > 1)
			fprintf(stderr, "config: %u errors\n", e.n);
		config_free(cfg);
	}
	free(buf);
	return rc;
}

void config_init_defaults(struct obi_config *cfg)
{
	size_t a;

	memset(cfg, 0, sizeof(*cfg));
	for (a = 0; a < config_n_areas; a++)
		config_apply_defaults(cfg, config_areas[a]);
}

void config_free(struct obi_config *cfg)
{
	size_t a;

	if (!cfg)
		return;
	for (a = 0; a < config_n_areas; a++)
		config_free_schema(cfg, config_areas[a]);
	free(cfg->config_path);
	cfg->config_path = NULL;
	free(cfg->planned_seen);
	cfg->planned_seen = NULL;
}
