# Makefile: builds obi-probe, obi-enricher, the obi launcher, BPF skeletons, tests and benches.
#
#   make            build/obi-probe build/obi-enricher build/obi
#   make deps       install missing Debian packages (idempotent; used by both README commands)
#   make test       unit tests (ASan+UBSan build) then end-to-end tests (root, real kernel)
#   make bench      side-by-side benchmarks (not part of make test)
#   make bench-enricher  enricher capacity alone: socket -> OTLP bytes, spans/s on one core
#   make test-otlp  OTLP encoding/export/sampler/evloop tests with the node test receiver
#   make test-k8s   Kubernetes client vs the API stand-in, kubectl, python3-kubernetes (bench-k8s: scale)
#   make test-kernels  Debian's Linux 6.1 (syscall front end) and 5.10 (compat object) under qemu
#   make fuzz       short libFuzzer runs of every harness
#   make lint       clang-tidy + cppcheck + clang-format check
#   make image      the container image localhost/obi:dev (podman, offline) + build/obi-image.tar
#   make test-containers  manifests validated, the image run under podman with their security contexts
#   make route-eval precision/recall of the route heuristic on tests/routes/ and its speed
#   make SAN=1      sanitizer build in build-san/
#   make V=1        show commands

.DELETE_ON_ERROR:
.SECONDARY:
.DEFAULT_GOAL := all

ifeq ($(V),1)
Q :=
else
Q := @
endif

CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
LLVM_STRIP ?= llvm-strip
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

ifeq ($(SAN),1)
BUILD ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD ?= build
SANFLAGS :=
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-missing-field-initializers
CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 $(WARN) -D_GNU_SOURCE -MMD -MP -I$(BUILD) -I$(BUILD)/proto -Icommon $(SANFLAGS) \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2
override LDFLAGS += $(SANFLAGS) -Wl,-z,relro,-z,now

LIBS_COMMON := -lyaml
LIBS_PROBE := $(LIBS_COMMON) -lbpf -lelf -lz -lcap -lseccomp
LIBS_ENRICHER := $(LIBS_COMMON) -lcjson -lcap -lseccomp -lprotobuf-nanopb -lcurl -lz
LIBS_LAUNCHER := $(LIBS_COMMON) -lcap -lseccomp

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror -Icommon -Ibpf \
	-I/usr/include/$(shell $(CC) -dumpmachine)

COMMON_SRC := $(wildcard common/*.c)
PROBE_SRC := $(filter-out probe/launcher%.c,$(wildcard probe/*.c))
ENRICHER_SRC := $(wildcard enricher/*.c)
LAUNCHER_SRC := probe/launcher.c probe/launcher_child.c
BPF_SRC := $(wildcard bpf/*.bpf.c)
# The start-up query (pidns_query) runs on every kernel as it is: no compat build of it.
BPF_COMPAT_SRC := $(filter-out bpf/pidns_query.bpf.c,$(BPF_SRC))

COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
# OTLP messages (proto/, ours) compiled by nanopb into $(BUILD)/proto/ at build time.
PROTO_SRC := $(sort $(shell find proto -name '*.proto'))
PROTO_GEN_C := $(PROTO_SRC:proto/%.proto=$(BUILD)/proto/%.pb.c)
PROTO_OBJ := $(PROTO_GEN_C:.c=.o)
PROTO_STAMP := $(BUILD)/proto/.stamp
PROBE_OBJ := $(PROBE_SRC:%.c=$(BUILD)/%.o)
ENRICHER_OBJ := $(ENRICHER_SRC:%.c=$(BUILD)/%.o)
LAUNCHER_OBJ := $(LAUNCHER_SRC:%.c=$(BUILD)/%.o)
# Each BPF source is also built as a compat object (-DOBI_COMPAT) for kernels 5.8-5.11: no task
# storage, BPF atomics, bpf_loop or map iteration (docs/architecture.md, "The compat object").
SKELS := $(BPF_SRC:bpf/%.bpf.c=$(BUILD)/%.skel.h) $(BPF_COMPAT_SRC:bpf/%.bpf.c=$(BUILD)/%_compat.skel.h)

# Library parts of the enricher (everything but main) are linked into unit tests.
ENRICHER_LIB_OBJ := $(filter-out $(BUILD)/enricher/main.o,$(ENRICHER_OBJ))
PROBE_LIB_OBJ := $(filter-out $(BUILD)/probe/main.o,$(PROBE_OBJ))
# Probe parts without BPF or process state, linked into unit tests too.
PROBE_UNIT_OBJ := $(BUILD)/probe/procparse.o $(BUILD)/probe/procworker.o \
	$(BUILD)/probe/select.o $(BUILD)/probe/select_eval.o $(BUILD)/probe/select_lang.o \
	$(BUILD)/probe/select_pod.o $(BUILD)/probe/msgtable.o

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

BINS := $(BUILD)/obi-probe $(BUILD)/obi-enricher $(BUILD)/obi

# obi-probe's OCI seccomp profile (Kubernetes seccompProfile Localhost, podman --security-opt),
# generated from the same tables the processes install (docs/security.md).
SECCOMP_ARCH := $(shell uname -m | sed -e 's/x86_64/SCMP_ARCH_X86_64/' -e 's/aarch64/SCMP_ARCH_AARCH64/')
SECCOMP_PROFILE := $(BUILD)/seccomp/obi-probe.json
SECCOMP_TABLE_OBJ := $(BUILD)/common/sandbox.o $(BUILD)/common/log.o \
	$(BUILD)/probe/seccomp_tables.o $(BUILD)/enricher/seccomp_table.o

.PHONY: image test-containers all deps run test test-unit test-otlp test-e2e test-e2e-san test-kernels bench bench-enricher bench-ablate fuzz lint format docs clean check-headers unit-bins route-eval test-k8s bench-k8s

all: $(BINS) $(SECCOMP_PROFILE) $(BUILD)/tools/seccomp_oci_exec

# --- BPF: object -> linked object -> skeleton (static pattern rules: no implicit chains) -------
BPF_OBJ := $(BPF_SRC:bpf/%.bpf.c=$(BUILD)/bpf/%.bpf.o)

$(BPF_OBJ): $(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c
	@echo "  BPF     $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

BPF_COMPAT_OBJ := $(BPF_COMPAT_SRC:bpf/%.bpf.c=$(BUILD)/bpf/%_compat.bpf.o)

$(BPF_COMPAT_OBJ): $(BUILD)/bpf/%_compat.bpf.o: bpf/%.bpf.c
	@echo "  BPF     $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DOBI_COMPAT -MMD -MP -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(SKELS): $(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	@echo "  SKEL    $@"
	$(Q)$(BPFTOOL) gen object $(BUILD)/$*.linked.o $<
	$(Q)$(BPFTOOL) gen skeleton $(BUILD)/$*.linked.o name $(subst -,_,$*)_bpf > $@

# --- OTLP protobuf (nanopb): one generator run for every .proto (they import each other) ------
$(PROTO_STAMP): $(PROTO_SRC)
	@echo "  NANOPB  $(BUILD)/proto"
	$(Q)mkdir -p $(@D)
	$(Q)cd proto && nanopb_generator.py -q -I . -D $(abspath $(BUILD))/proto $(PROTO_SRC:proto/%=%)
	$(Q)touch $@

$(PROTO_GEN_C) $(PROTO_GEN_C:.c=.h): $(PROTO_STAMP) ;

$(PROTO_OBJ): %.o: %.c
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# --- user space -------------------------------------------------------------------------
$(PROBE_OBJ) $(LAUNCHER_OBJ): $(BUILD)/probe/%.o: probe/%.c $(SKELS)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(COMMON_OBJ) $(ENRICHER_OBJ): $(BUILD)/%.o: %.c | $(PROTO_STAMP)
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obi-probe: $(PROBE_OBJ) $(COMMON_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) $^ $(LIBS_PROBE) -o $@

$(BUILD)/obi-enricher: $(ENRICHER_OBJ) $(COMMON_OBJ) $(PROTO_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) $^ $(LIBS_ENRICHER) -o $@

$(BUILD)/obi: $(LAUNCHER_OBJ) $(COMMON_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) $^ $(LIBS_LAUNCHER) -o $@

# --- build-time tools -------------------------------------------------------------------
$(BUILD)/tools/%.o: tools/%.c
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Iprobe -Ienricher -c $< -o $@

$(BUILD)/tools/seccomp_profile: $(BUILD)/tools/seccomp_profile.o $(SECCOMP_TABLE_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) $^ -lseccomp -lcap -o $@

$(BUILD)/tools/seccomp_oci_exec: $(BUILD)/tools/seccomp_oci_exec.o
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) $^ -lcjson -lseccomp -o $@

$(SECCOMP_PROFILE): $(BUILD)/tools/seccomp_profile
	@echo "  GEN     $@"
	$(Q)mkdir -p $(@D)
	$(Q)$< oci $(SECCOMP_ARCH) > $@.tmp && python3 -m json.tool $@.tmp >/dev/null && mv $@.tmp $@

# --- tests ------------------------------------------------------------------------------
$(BUILD)/tests/%.o: tests/unit/%.c | $(PROTO_STAMP)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Ienricher -Iprobe -c $< -o $@

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(ENRICHER_LIB_OBJ) $(PROBE_UNIT_OBJ) $(COMMON_OBJ) $(PROTO_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) $^ $(LIBS_ENRICHER) -lcmocka -lm -o $@

# The route heuristic's measuring tool (docs/routes.md): tuning and held-out corpus, speed.
ROUTE_EVAL := $(BUILD)/tests/route-eval

$(BUILD)/tests/route_eval.o: tests/routes/route_eval.c tests/routes/eval_core.h
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Ienricher -c $< -o $@

$(ROUTE_EVAL): $(BUILD)/tests/route_eval.o $(ENRICHER_LIB_OBJ) $(COMMON_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) $^ $(LIBS_ENRICHER) -o $@

route-eval: $(ROUTE_EVAL)
	$(Q)$(ROUTE_EVAL) --bench

# Kubernetes metadata (docs/architecture.md, "Kubernetes metadata"): the client driven by line
# commands against the API stand-in (tests/k8s/standin.py), kubectl and python3-kubernetes
# against the same stand-in; bench-k8s: sync time, RSS, events/s, lookup cost (not in make test).
K8S_TOOL := $(BUILD)/tests/k8s-tool

$(BUILD)/tests/k8s_tool.o: tests/k8s/k8s_tool.c | $(PROTO_STAMP)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Ienricher -c $< -o $@

$(K8S_TOOL): $(BUILD)/tests/k8s_tool.o $(ENRICHER_LIB_OBJ) $(COMMON_OBJ) $(PROTO_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) $^ $(LIBS_ENRICHER) -o $@

test-k8s:
	$(Q)$(MAKE) --no-print-directory SAN=1 build-san/tests/k8s-tool
	$(Q)bash tests/k8s/run.sh build-san

bench-k8s:
	$(Q)$(MAKE) --no-print-directory build/tests/k8s-tool
	$(Q)bash tests/k8s/bench.sh build

deps:
	$(Q)bash tests/deps.sh

test-unit:
	$(Q)$(MAKE) --no-print-directory SAN=1 unit-bins
	$(Q)bash tests/unit/run.sh build-san/tests

unit-bins: $(UNIT_BIN)

# OTLP groundwork: proto field numbers vs the official files, the test receiver proven by the
# OTel JS SDK (HTTP and gRPC), encoding/export/sampler/evloop unit tests (node + pinned npm).
OTLP_TESTS := test_otlp_encode test_otlp_http test_otlp_grpc test_otlp_result test_sampler test_evloop \
	test_metrics test_metrics_export test_metrics_config
test-otlp:
	$(Q)$(MAKE) --no-print-directory SAN=1 $(OTLP_TESTS:%=build-san/tests/%)
	$(Q)bash tests/otlp/run.sh build-san/tests

test-e2e: all
	$(Q)bash tests/e2e/run.sh $(BUILD)

# The end-to-end suite against ASan/UBSan builds of the binaries (seccomp off: LeakSanitizer
# needs calls the production filter refuses); load shedding allowed but must be accounted for.
test-e2e-san:
	$(Q)$(MAKE) --no-print-directory SAN=1 all
	$(Q)OBI_SECCOMP=off OBI_E2E_ALLOW_DROPS=1 ASAN_OPTIONS=detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 bash tests/e2e/run.sh build-san $(E2E_SAN_ARGS)

# Real older kernels: Debian 12's Linux 6.1 (no socket tracepoints: syscall front end) and
# Debian 11's Linux 5.10 (no task storage or BPF atomics: compat object),
# booted under qemu with the freshly built binaries in an initramfs.
test-kernels: all
	$(Q)bash tests/kernels/run.sh $(BUILD)

# The two README commands: both install what is missing, then build. They need root (apt-get,
# BPF): as root they run as they are (no sudo needed, none may exist); as another user they
# re-run themselves under sudo.
ifneq ($(shell id -u),0)
run test test-containers:
	$(Q)exec sudo $(MAKE) --no-print-directory $@
else
run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bash tests/demo/run.sh $(BUILD)

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory test-unit
	$(Q)$(MAKE) --no-print-directory test-e2e

test-containers: image
	$(Q)bash tests/container/run.sh $(BUILD)
endif

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory bench-enricher
	$(Q)$(MAKE) --no-print-directory bench-k8s
	$(Q)bash tests/bench/run.sh $(BUILD)

# Enricher capacity (docs/benchmarks.md): records over a socketpair -> spans -> OTLP protobuf,
# with and without gzip, on one core; ENRICHER_BENCH_ARGS e.g. "-n 4000000 -r 5".
ENRICHER_BENCH := $(BUILD)/tests/enricher_bench

$(BUILD)/tests/enricher_bench.o: tests/bench/enricher_bench.c | $(PROTO_STAMP)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Ienricher -c $< -o $@

$(ENRICHER_BENCH): $(BUILD)/tests/enricher_bench.o $(ENRICHER_LIB_OBJ) $(COMMON_OBJ) $(PROTO_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) $^ $(LIBS_ENRICHER) -o $@

bench-enricher: $(ENRICHER_BENCH)
	$(Q)$(ENRICHER_BENCH) $(ENRICHER_BENCH_ARGS)

# Where the BPF time per request goes: the bench with one step of the data path cut at a time
# (tests/bench/ablate.py lists the cuts); ABLATE_ARGS e.g. "3 5 norb lookup" (passes, seconds, cuts).
bench-ablate: deps
	$(Q)bash tests/bench/ablate.sh $(ABLATE_ARGS)

# --- the container image and the deployment tests ---------------------------------------------
# FROM scratch: the binaries plus exactly the libraries ldd lists (tests/container/stage.sh);
# built in a private podman store (tests/container/podman.sh), also saved as an OCI archive for
# `podman load` / `ctr import` elsewhere.
image: all
	$(Q)bash tests/container/deps.sh
	$(Q)bash tests/container/stage.sh $(BUILD) $(BUILD)/image
	@echo "  IMAGE   localhost/obi:dev"
	$(Q)tests/container/podman.sh build -q -t localhost/obi:dev -f Containerfile $(BUILD)/image >/dev/null
	$(Q)rm -f $(BUILD)/obi-image.tar
	$(Q)tests/container/podman.sh save -q --format oci-archive -o $(BUILD)/obi-image.tar localhost/obi:dev


FUZZ_SECONDS ?= 30
fuzz:
	$(Q)bash tests/fuzz/run.sh $(FUZZ_SECONDS)

lint:
	$(Q)bash tests/lint.sh

format:
	$(Q)clang-format -i $(COMMON_SRC) $(PROBE_SRC) $(ENRICHER_SRC) $(LAUNCHER_SRC) common/*.h probe/*.h enricher/*.h

docs: $(BUILD)/obi-enricher
	$(Q)$(BUILD)/obi-enricher --config-docs > docs/configuration.md

# Every header must compile on its own.
check-headers:
	$(Q)for h in common/*.h probe/*.h enricher/*.h; do \
		echo "#include \"$$h\"" | $(CC) $(CFLAGS) -I. -x c -fsyntax-only - || exit 1; done

clean:
	$(Q)rm -rf build build-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
