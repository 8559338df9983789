/* seccomp_profile.c: build-time tool: obi-probe's OCI seccomp profile (JSON, for podman/runc
 * and Kubernetes seccompProfile Localhost) and the Markdown seccomp tables, from the same rows
 * the processes install. Usage: seccomp_profile oci ARCH | seccomp_profile markdown */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"
#include "seccomp_tables.h"
#include "seccomp_table.h"

struct tables {
	const struct sandbox_rule *rows;
	size_t n;
};

static bool row_is_plain_allow(const struct sandbox_rule *r)
{
	return r->deny_errno == 0 && r->args[0].cmp == SANDBOX_CMP_NONE &&
	       r->args[1].cmp == SANDBOX_CMP_NONE && r->args[2].cmp == SANDBOX_CMP_NONE;
}

/* Whether name has an unconditional allow row anywhere in the profile's tables. */
static bool name_plain_allowed(const struct tables *t, size_t nt, const char *name)
{
	for (size_t i = 0; i < nt; i++)
		for (size_t j = 0; j < t[i].n; j++)
			if (row_is_plain_allow(&t[i].rows[j]) &&
			    strcmp(t[i].rows[j].name, name) == 0)
				return true;
	return false;
}

/* Whether the same name appeared earlier (so each name is listed once). */
static bool name_seen_before(const struct tables *t, size_t ti, size_t rj, const char *name)
{
	for (size_t i = 0; i <= ti; i++)
		for (size_t j = 0; j < (i == ti ? rj : t[i].n); j++)
			if (strcmp(t[i].rows[j].name, name) == 0 &&
			    row_is_plain_allow(&t[i].rows[j]))
				return true;
	return false;
}

static void oci_args(const struct sandbox_rule *r)
{
	const char *sep = "";

	printf(", \"args\": [");
	for (int k = 0; k < SANDBOX_MAX_ARGS; k++) {
		const struct sandbox_arg *a = &r->args[k];

		if (a->cmp == SANDBOX_CMP_NONE)
			continue;
		/* OCI: MASKED_EQ is (arg & value) == valueTwo. */
		if (a->cmp == SANDBOX_CMP_EQ || a->cmp == SANDBOX_CMP_NE)
			printf("%s{\"index\": %u, \"value\": %llu, \"valueTwo\": 0, \"op\": "
			       "\"%s\"}",
			       sep, a->index, (unsigned long long)a->value,
			       a->cmp == SANDBOX_CMP_EQ ? "SCMP_CMP_EQ" : "SCMP_CMP_NE");
		else
			printf("%s{\"index\": %u, \"value\": %llu, \"valueTwo\": %llu, \"op\": "
			       "\"SCMP_CMP_MASKED_EQ\"}",
			       sep, a->index, (unsigned long long)a->mask,
			       (unsigned long long)a->value);
		sep = ", ";
	}
	printf("]");
}

static void oci_conditional(const struct tables *t, size_t nt)
{
	for (size_t i = 0; i < nt; i++)
		for (size_t j = 0; j < t[i].n; j++) {
			const struct sandbox_rule *r = &t[i].rows[j];

			if (row_is_plain_allow(r) || name_plain_allowed(t, nt, r->name))
				continue;
			printf(",\n    {\"names\": [\"%s\"], ", r->name);
			if (r->deny_errno)
				printf("\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": %d",
				       r->deny_errno);
			else
				printf("\"action\": \"SCMP_ACT_ALLOW\"");
			oci_args(r);
			printf("}");
		}
}

static int oci(const struct tables *t, size_t nt, const char *arch)
{
	const char *sep = "";

	printf("{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"defaultErrnoRet\": 1,\n"
	       "  \"architectures\": [\"%s\"],\n  \"syscalls\": [\n    {\"names\": [",
	       arch);
	for (size_t i = 0; i < nt; i++)
		for (size_t j = 0; j < t[i].n; j++) {
			const struct sandbox_rule *r = &t[i].rows[j];

			if (!row_is_plain_allow(r) || name_seen_before(t, i, j, r->name))
				continue;
			printf("%s\"%s\"", sep, r->name);
			sep = ", ";
		}
	printf("], \"action\": \"SCMP_ACT_ALLOW\"}");
	oci_conditional(t, nt);
	printf("\n  ]\n}\n");
	return 0;
}

static void md_cond(const struct sandbox_rule *r)
{
	const char *sep = "";

	for (int k = 0; k < SANDBOX_MAX_ARGS; k++) {
		const struct sandbox_arg *a = &r->args[k];

		if (a->cmp == SANDBOX_CMP_EQ || a->cmp == SANDBOX_CMP_NE)
			printf("%sarg%u %s %#llx", sep, a->index,
			       a->cmp == SANDBOX_CMP_EQ ? "==" : "!=", (unsigned long long)a->value);
		else if (a->cmp == SANDBOX_CMP_MASKED_EQ)
			printf("%s(arg%u & %#llo) == %#llx", sep, a->index,
			       (unsigned long long)a->mask, (unsigned long long)a->value);
		else
			continue;
		sep = " and ";
	}
	if (!*sep)
		printf("any");
}

static void md_table(const char *title, const struct sandbox_rule *rows, size_t n)
{
	printf("\n#### %s\n\n| system call | arguments | action | why |\n|---|---|---|---|\n",
	       title);
	for (size_t i = 0; i < n; i++) {
		printf("| `%s` | ", rows[i].name);
		md_cond(&rows[i]);
		if (rows[i].deny_errno)
			printf(" | fails with errno %d | %s |\n", rows[i].deny_errno, rows[i].why);
		else
			printf(" | allow | %s |\n", rows[i].why);
	}
}

int main(int argc, char **argv)
{
	/* The profile is the union: the runtime installs it before exec, so start-up is inside. */
	const struct tables t[3] = {
	    {sandbox_base_rules, sandbox_base_nrules},
	    {probe_seccomp_startup, probe_seccomp_startup_n},
	    {probe_seccomp_runtime, probe_seccomp_runtime_n},
	};

	if (argc == 3 && strcmp(argv[1], "oci") == 0)
		return oci(t, 3, argv[2]);
	if (argc == 2 && strcmp(argv[1], "markdown") == 0) {
		md_table("Both processes (`sandbox_base_rules`, common/sandbox.c)", t[0].rows,
			 t[0].n);
		md_table("obi-probe at run time (`probe_seccomp_runtime`, probe/seccomp_tables.c; "
			 "plus `unlinkat` with arg0 == the socket directory's descriptor)",
			 t[2].rows, t[2].n);
		md_table("obi-enricher (`enricher_seccomp_rules`, enricher/seccomp_table.c)",
			 enricher_seccomp_rules, enricher_seccomp_n);
		md_table("obi-probe start-up, in the OCI profile only (`probe_seccomp_startup`)",
			 t[1].rows, t[1].n);
		return 0;
	}
	fprintf(stderr, "usage: %s oci SCMP_ARCH_X86_64 | %s markdown\n", argv[0], argv[0]);
	return 2;
}
