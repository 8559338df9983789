/* config_file.c: the YAML file source: bounded read, then ${VAR} expansion from the environment. */
#include "config_schema.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Refuse to slurp something that cannot be a configuration file (e.g. /dev/zero). */
#define CONFIG_FILE_MAX (4u << 20)

/* Replaces ${NAME} with NAME's value from envp (empty when unset), like OBI's ReplaceEnv. */
static char *config_expand_env(const char *text, size_t len, char *const *envp, size_t *outlen)
{
	size_t cap = len + 1, n = 0, i = 0;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	while (i < len) {
		const char *val = NULL;
		size_t vlen = 1, skip = 1;

		if (text[i] == '$' && i + 1 < len && text[i + 1] == '{') {
			size_t j = i + 2;

			while (j < len && (isalnum((unsigned char)text[j]) || text[j] == '_'))
				j++;
			if (j < len && text[j] == '}' && j > i + 2) {
				char name[CONFIG_PATH_MAX];
				size_t nlen = j - (i + 2);

				if (nlen < sizeof(name)) {
					memcpy(name, text + i + 2, nlen);
					name[nlen] = '\0';
					val = config_getenv(envp, name);
					if (!val)
						val = "";
					vlen = strlen(val);
					skip = j + 1 - i;
				}
			}
		}
		if (!val) {
			val = text + i;
			vlen = 1;
			skip = 1;
		}
		if (n + vlen + 1 > cap) {
			size_t ncap = (n + vlen + 1) * 2;
			char *grown;

			if (ncap > CONFIG_FILE_MAX * 4u)
				goto fail;
			grown = realloc(out, ncap);
			if (!grown)
				goto fail;
			out = grown;
			cap = ncap;
		}
		memcpy(out + n, val, vlen);
		n += vlen;
		i += skip;
	}
	out[n] = '\0';
	*outlen = n;
	return out;
fail:
	free(out);
	return NULL;
}

int config_yaml_load_file(struct obi_config *cfg, const char *path, char *const *envp,
			  struct config_errs *e)
{
	FILE *f = NULL;
	char *buf = NULL, *expanded = NULL;
	size_t len = 0, explen = 0;
	int rc = -1;

	f = fopen(path, "re");
	if (!f) {
		config_errs_add(e, "config: %s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	buf = malloc(CONFIG_FILE_MAX + 1);
	if (!buf) {
		config_errs_add(e, "config: %s: out of memory", path);
		goto out;
	}
	len = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
	if (ferror(f)) {
		config_errs_add(e, "config: %s: read error", path);
		goto out;
	}
	if (len > CONFIG_FILE_MAX) {
		config_errs_add(e, "config: %s: file is larger than %u bytes", path,
				CONFIG_FILE_MAX);
		goto out;
	}
	expanded = config_expand_env(buf, len, envp, &explen);
	if (!expanded) {
		config_errs_add(e, "config: %s: out of memory expanding ${...}", path);
		goto out;
	}
	rc = config_yaml_load(cfg, expanded, explen, path, e);
out:
	free(expanded);
	free(buf);
	if (f)
		fclose(f);
	return rc;
}

int config_apply_yaml_file(struct obi_config *cfg, const char *path, char *const *envp, char *err,
			   size_t errlen)
{
	struct config_errs e;

	config_errs_init(&e, err, errlen);
	config_errs_secrets_from_env(&e, envp);
	return config_yaml_load_file(cfg, path, envp, &e);
}
