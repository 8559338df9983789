/* config_env.c: the environment source: each row's variables, the first one set winning. */
#include "config_schema.h"

int config_env_load(struct obi_config *cfg, char *const *envp, struct config_errs *e)
{
	char why[CONFIG_WHY_MAX];
	const struct config_row *row;
	size_t area = 0, i = 0, j;
	unsigned before = e->n;

	while ((row = config_next_row(&area, &i))) {
		for (j = 0; row->env[j]; j++) {
			const char *v = config_getenv(envp, row->env[j]);

			if (!v || !*v)
				continue;
			config_note_planned(cfg, row, row->env[j]);
			if (config_set_text(cfg, row, v, why, sizeof(why)) < 0)
				config_errs_add(e, "config: %s (environment): %s", row->env[j],
						why);
			break;
		}
	}
	return e->n == before ? 0 : -1;
}

int config_apply_env(struct obi_config *cfg, char *const *envp, char *err, size_t errlen)
{
	struct config_errs e;

	config_errs_init(&e, err, errlen);
	config_errs_secrets_from_env(&e, envp);
	return config_env_load(cfg, envp, &e);
}
