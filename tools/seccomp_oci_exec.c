/* seccomp_oci_exec.c: test tool: installs an OCI seccomp profile (JSON) with libseccomp the way
 * OCI runtimes (runc, crun) do, then execs a command under it. Usage: PROFILE.json CMD [ARG...] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <seccomp.h>
#include <sys/prctl.h>

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = calloc(1, (size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

static int op_of(const char *s, enum scmp_compare *op)
{
	static const struct {
		const char *name;
		enum scmp_compare op;
	} ops[] = {{"SCMP_CMP_NE", SCMP_CMP_NE},
		   {"SCMP_CMP_LT", SCMP_CMP_LT},
		   {"SCMP_CMP_LE", SCMP_CMP_LE},
		   {"SCMP_CMP_EQ", SCMP_CMP_EQ},
		   {"SCMP_CMP_GE", SCMP_CMP_GE},
		   {"SCMP_CMP_GT", SCMP_CMP_GT},
		   {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (s && strcmp(s, ops[i].name) == 0) {
			*op = ops[i].op;
			return 0;
		}
	return -1;
}

static int action_of(const cJSON *o, const char *key, const char *errkey, uint32_t *act)
{
	const char *a = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));
	const cJSON *e = cJSON_GetObjectItem(o, errkey);

	if (!a)
		return -1;
	if (strcmp(a, "SCMP_ACT_ALLOW") == 0)
		*act = SCMP_ACT_ALLOW;
	else if (strcmp(a, "SCMP_ACT_ERRNO") == 0)
		*act = SCMP_ACT_ERRNO(cJSON_IsNumber(e) ? (uint16_t)e->valuedouble : EPERM);
	else if (strcmp(a, "SCMP_ACT_KILL_PROCESS") == 0)
		*act = SCMP_ACT_KILL_PROCESS;
	else
		return -1;
	return 0;
}

/* One "syscalls" entry: every name with the entry's action and argument conditions. */
static int add_entry(scmp_filter_ctx ctx, const cJSON *ent)
{
	struct scmp_arg_cmp cmp[6];
	const cJSON *names = cJSON_GetObjectItem(ent, "names"),
		    *args = cJSON_GetObjectItem(ent, "args");
	const cJSON *it;
	uint32_t act;
	unsigned n = 0;

	if (!cJSON_IsArray(names) || action_of(ent, "action", "errnoRet", &act))
		return -1;
	cJSON_ArrayForEach(it, args)
	{
		const cJSON *idx = cJSON_GetObjectItem(it, "index"),
			    *v = cJSON_GetObjectItem(it, "value");
		const cJSON *v2 = cJSON_GetObjectItem(it, "valueTwo");
		enum scmp_compare op;

		/* Numbers stay below 2^53 in our profiles: a double holds them exactly. */
		if (n >= 6 || !cJSON_IsNumber(idx) || !cJSON_IsNumber(v) ||
		    op_of(cJSON_GetStringValue(cJSON_GetObjectItem(it, "op")), &op))
			return -1;
		cmp[n++] = SCMP_CMP((unsigned)idx->valuedouble, op, (scmp_datum_t)v->valuedouble,
				    cJSON_IsNumber(v2) ? (scmp_datum_t)v2->valuedouble : 0);
	}
	cJSON_ArrayForEach(it, names)
	{
		int nr = seccomp_syscall_resolve_name(cJSON_GetStringValue(it));

		if (nr == __NR_SCMP_ERROR) {
			fprintf(stderr, "seccomp_oci_exec: unknown system call %s\n",
				cJSON_GetStringValue(it));
			return -1;
		}
		if (seccomp_rule_add_array(ctx, act, nr, n, cmp) < 0) {
			fprintf(stderr, "seccomp_oci_exec: rule for %s refused\n",
				cJSON_GetStringValue(it));
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	char *text = argc >= 3 ? slurp(argv[1]) : NULL;
	cJSON *root = text ? cJSON_Parse(text) : NULL, *ent;
	scmp_filter_ctx ctx = NULL;
	uint32_t def;

	if (!root || action_of(root, "defaultAction", "defaultErrnoRet", &def)) {
		fprintf(stderr,
			"usage: seccomp_oci_exec PROFILE.json CMD [ARG...] (bad profile)\n");
		return 2;
	}
	ctx = seccomp_init(def);
	if (!ctx)
		return 2;
	cJSON_ArrayForEach(ent, cJSON_GetObjectItem(root, "syscalls"))
	{
		if (add_entry(ctx, ent))
			return 2;
	}
	/* Runtimes set no_new_privs for an unprivileged filter; our containers set it too. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || seccomp_load(ctx)) {
		perror("seccomp_oci_exec: loading the filter");
		return 2;
	}
	seccomp_release(ctx);
	cJSON_Delete(root);
	free(text);
	execv(argv[2], argv + 2);
	perror("seccomp_oci_exec: exec");
	return 127;
}
