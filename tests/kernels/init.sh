#!/bin/busybox sh
# tests/kernels/init.sh: /init of the test VM: runs obi against busybox httpd on the guest kernel, prints OBI-KTEST lines, powers off.
#
# Every result line on the console starts with "OBI-KTEST: " (PASS, FAIL, INFO, LOG, SPAN, END);
# tests/kernels/run.sh reads them. Kernel command-line words of the form NAME=VALUE reach this
# script as environment variables (e.g. OTEL_EBPF_LOG_LEVEL=debug, OBI_KTEST_SPAN_WAIT=20).

/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

mkdir -p /proc /sys /dev /run /tmp /www
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1

npass=0
nfail=0
pass() { npass=$((npass + 1)); echo "OBI-KTEST: PASS $*"; }
fail() { nfail=$((nfail + 1)); echo "OBI-KTEST: FAIL $*"; }
info() { echo "OBI-KTEST: INFO $*"; }
dump() { # dump FILE TAG: the file on the console, each line tagged
	[ -f "$1" ] || return 0
	sed "s/^/OBI-KTEST: $2| /" "$1"
}
finish() {
	[ -n "${obi_pid:-}" ] && kill "$obi_pid" 2>/dev/null
	[ -n "${obi_pid:-}" ] && wait "$obi_pid" 2>/dev/null
	[ -n "${httpd_pid:-}" ] && kill "$httpd_pid" 2>/dev/null
	echo "OBI-KTEST: END passed=$npass failed=$nfail"
	sync
	poweroff -f
}
# wait_for SECONDS FILE PATTERN: 0 once grep -q finds PATTERN in FILE, 1 at the deadline or
# as soon as obi (if started) has exited.
wait_for() {
	i=0
	while [ "$i" -lt $(($1 * 10)) ]; do
		grep -q -- "$3" "$2" 2>/dev/null && return 0
		[ -n "${obi_pid:-}" ] && ! kill -0 "$obi_pid" 2>/dev/null && return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

echo # the firmware leaves escape sequences without a newline on the console
info "kernel $(uname -r) ($(uname -v))"
ip link set lo up || fail "ip link set lo up"

if [ -r /sys/kernel/btf/vmlinux ]; then
	pass "kernel BTF at /sys/kernel/btf/vmlinux"
else
	fail "no /sys/kernel/btf/vmlinux"
	finish
fi

# The server: busybox httpd, one small page and a 64 KiB body.
echo '<html><body>obi kernel test</body></html>' >/www/index.html
head -c 65536 /dev/zero >/www/big.bin
busybox httpd -f -p 127.0.0.1:8080 -h /www &
httpd_pid=$!
sleep 0.2
if ! wget -q -O /dev/null http://127.0.0.1:8080/index.html; then
	fail "busybox httpd is not answering on 127.0.0.1:8080"
	finish
fi

# 1. Forcing the socket front end must fail clearly: this kernel has no sock:sock_send_length.
if grep -q 'sock_send_length' /sys/kernel/tracing/available_events 2>/dev/null; then
	info "note: this kernel has sock:sock_send_length (the socket front end should work)"
fi
OTEL_EBPF_BPF_CAPTURE_FRONTEND=socket OTEL_EBPF_OPEN_PORT=8080 \
	OTEL_EBPF_PROBE_SOCKET_PATH=/run/obi-socket-test/obi.sock \
	timeout 30 /obi/obi-probe >/tmp/neg.out 2>/tmp/neg.log
rc=$?
if [ "$rc" -ne 0 ] && grep -q 'sock_send_length' /tmp/neg.log; then
	pass "forced socket front end refused (exit $rc): $(grep -m1 'sock_send_length' /tmp/neg.log)"
else
	fail "forced socket front end: exit $rc, and/or no message naming sock_send_length"
	dump /tmp/neg.log socket-log
fi

# 2. The agent with the front end chosen automatically (syscall tracepoints expected).
OTEL_EBPF_OPEN_PORT=8080 OTEL_EBPF_TRACE_PRINTER=json OTEL_EBPF_PROBE_SOCKET_PATH=/run/obi/obi.sock \
	/obi/obi >/tmp/spans 2>/tmp/log &
obi_pid=$!
t0=$(cut -d' ' -f1 /proc/uptime)
ready=1
for pat in 'obi-probe: running:' 'enricher connected' "instrumenting pid $httpd_pid "; do
	if ! wait_for 60 /tmp/log "$pat"; then
		ready=0
		fail "not ready: no '$pat' in the log (obi exited, or 60 s passed)"
		break
	fi
done
t1=$(cut -d' ' -f1 /proc/uptime)
if [ "$ready" = 1 ]; then
	pass "agent ready in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s (probe running, enricher connected, httpd pid $httpd_pid instrumented)"
fi
if grep -q 'capture front end: syscall tracepoints' /tmp/log; then
	pass "front end chosen: $(grep -m1 'capture front end' /tmp/log)"
else
	fail "the probe did not log 'capture front end: syscall tracepoints'"
fi
# Which BPF object the probe loaded: compat below Linux 5.12 (no task storage or BPF atomics).
obj=$(sed -n 's/.*obi-probe: BPF object: \([a-z]*\).*/\1/p' /tmp/log | head -n1)
if [ -z "${OBI_KTEST_EXPECT_OBJECT:-}" ]; then
	info "BPF object: ${obj:-none logged}"
elif [ "$obj" = "$OBI_KTEST_EXPECT_OBJECT" ]; then
	pass "BPF object: $(grep -m1 'BPF object:' /tmp/log | sed 's/.*BPF object: //')"
else
	fail "BPF object: want $OBI_KTEST_EXPECT_OBJECT, the log says '${obj:-nothing}'"
fi
if grep -q 'mounted tracefs at /sys/kernel/tracing' /tmp/log; then
	pass "the probe mounted tracefs itself"
else
	fail "the probe did not log 'mounted tracefs at /sys/kernel/tracing'"
fi

tp_trace=4bf92f3577b34da6a3ce929d0e0e4736
tp_parent=00f067aa0ba902b7
if [ "$ready" = 1 ]; then
	# 3. Traffic: 5 pages, one 64 KiB body, one 404, one page with a traceparent.
	i=0
	while [ "$i" -lt 5 ]; do
		wget -q -O /dev/null http://127.0.0.1:8080/index.html || fail "wget /index.html failed"
		i=$((i + 1))
	done
	wget -q -O /dev/null http://127.0.0.1:8080/big.bin || fail "wget /big.bin failed"
	wget -q -O /dev/null http://127.0.0.1:8080/nope 2>/dev/null && fail "wget /nope did not fail"
	# An incoming traceparent keeps its trace id, and its span id becomes the parent.
	wget -q -O /dev/null --header "traceparent: 00-$tp_trace-$tp_parent-01" \
		'http://127.0.0.1:8080/index.html?tp=1' || fail "wget with traceparent failed"

	i=0
	n=0
	while [ "$i" -lt $((${OBI_KTEST_SPAN_WAIT:-10} * 10)) ]; do
		n=$(grep -c '"type":"HTTP"' /tmp/spans)
		[ "$n" -ge 8 ] && break
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.3 # anything extra that is still on its way
	n=$(grep -c '"type":"HTTP"' /tmp/spans)
	n_index=$(grep '"url.path":"/index.html"' /tmp/spans | grep -v '"url.query":"tp=1"' |
		grep -c '"http.response.status_code":200')
	n_tp=$(grep '"url.query":"tp=1"' /tmp/spans | grep "\"traceId\":\"$tp_trace\"" |
		grep -c "\"parentSpanId\":\"$tp_parent\"")
	n_big=$(grep '"url.path":"/big.bin"' /tmp/spans | grep '"http.response.status_code":200' |
		grep -c '"http.response.body.size":65536')
	n_nope=$(grep '"url.path":"/nope"' /tmp/spans | grep -c '"http.response.status_code":404')
	n_server=$(grep '"type":"HTTP"' /tmp/spans | grep -c '"kind":"SERVER"')
	big_sizes=$(grep '"url.path":"/big.bin"' /tmp/spans | grep -o '"http.response.body.size":[0-9]*' |
		cut -d: -f2 | tr '\n' ' ')
	details="spans=$n (index.html 200: $n_index, big.bin 65536 B: $n_big, nope 404: $n_nope, traceparent kept: $n_tp, SERVER: $n_server; big.bin body sizes seen: ${big_sizes:-none})"
	if [ "$n" -eq 8 ] && [ "$n_index" -eq 5 ] && [ "$n_big" -eq 1 ] && [ "$n_nope" -eq 1 ] &&
		[ "$n_tp" -eq 1 ] && [ "$n_server" -eq 8 ]; then
		pass "spans: $details"
	else
		fail "spans: want 8 (5 index.html 200, 1 big.bin 65536 B, 1 nope 404, 1 with the incoming trace id and parent, all SERVER), got $details"
		dump /tmp/spans span
	fi
fi

if ! kill -0 "$obi_pid" 2>/dev/null; then
	wait "$obi_pid"
	fail "obi exited early (status $?)"
else
	kill "$obi_pid" 2>/dev/null
	wait "$obi_pid"
	rc=$?
	# On SIGTERM obi stops cleanly (0) or reports the signal (143).
	if [ "$rc" -eq 0 ] || [ "$rc" -eq 143 ]; then
		pass "obi (pid $obi_pid) stopped on SIGTERM (status $rc)"
	else
		fail "obi (pid $obi_pid) stopped on SIGTERM with status $rc"
	fi
fi
obi_pid=
# The agent's log goes to the console every time (warnings on an old kernel are worth reading).
dump /tmp/log LOG

# 4. The sidecar shape: obi in a PID namespace it shares with a server (busybox unshare). Only
# here is the pid translation of every program loaded, so only here does this kernel's
# verifier judge it. The namespace's httpd (8081) must give spans with the namespace's pids;
# the httpd outside (8080, selected by the same port list) is invisible there: no span.
mkdir -p /tmp/ns
cat >/tmp/ns/init.sh <<'NSEOF'
busybox httpd -f -p 127.0.0.1:8081 -h /www &
h=$!
echo "$h" >/tmp/ns/httpd.pid
OTEL_EBPF_OPEN_PORT=8080,8081 OTEL_EBPF_TRACE_PRINTER=json \
	OTEL_EBPF_PROBE_SOCKET_PATH=/run/obi-ns/obi.sock /obi/obi >/tmp/ns/spans 2>/tmp/ns/log &
o=$!
while [ ! -e /tmp/ns/stop ]; do sleep 0.1; done
kill "$o"
wait "$o"
echo "$?" >/tmp/ns/status
kill "$h"
NSEOF
unshare -p -f --mount-proc sh /tmp/ns/init.sh &
ns_pid=$!
ready=1
wait_for 10 /tmp/ns/httpd.pid '[0-9]' || ready=0
ns_httpd=$(cat /tmp/ns/httpd.pid 2>/dev/null)
for pat in 'obi-probe: running:' 'enricher connected' "instrumenting pid $ns_httpd "; do
	if [ "$ready" = 1 ] && ! wait_for 60 /tmp/ns/log "$pat"; then
		ready=0
		fail "pidns: not ready: no '$pat' in the log"
	fi
done
if grep -q 'PID namespace pid:\[[0-9]*\] (level 1)' /tmp/ns/log; then
	pass "pidns: $(grep -m1 -o 'PID namespace pid:[^:]*' /tmp/ns/log), httpd is pid $ns_httpd there"
else
	fail "pidns: the probe did not report translating to its PID namespace (level 1)"
fi
if [ "$ready" = 1 ]; then
	for i in 1 2 3; do
		wget -q -O /dev/null "http://127.0.0.1:8081/index.html?ns=$i" || fail "wget :8081 failed"
		wget -q -O /dev/null "http://127.0.0.1:8080/index.html?host=$i" || fail "wget :8080 failed"
	done
	i=0
	while [ "$i" -lt $((${OBI_KTEST_SPAN_WAIT:-10} * 10)) ]; do
		[ "$(grep -c '"type":"HTTP"' /tmp/ns/spans)" -ge 3 ] && break
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.3
	n=$(grep -c '"type":"HTTP"' /tmp/ns/spans)
	n_ns=$(grep '"url.query":"ns=[123]"' /tmp/ns/spans | grep -c '"server.port":8081')
	pids=$(grep -o '"pid":[0-9]*' /tmp/ns/spans | cut -d: -f2 | tr '\n' ' ')
	# busybox httpd forks per connection: each span's pid is a child a FORK record named. The
	# kernel side follows the fork at once and the child's record names it with the parent's
	# facts; the probe's line about it comes when its /proc reader has answered, and a child
	# that served its one request and exited first gets none. So: every span's pid is a
	# namespace pid after the httpd's, and none was selected for another reason.
	bad_pid=0
	for pid in $pids; do
		wait_for 2 /tmp/ns/log "instrumenting pid $pid (.*forked by selected pid $ns_httpd" &&
			continue
		if [ "$pid" -le "$ns_httpd" ] || grep -q "instrumenting pid $pid " /tmp/ns/log; then
			bad_pid=$pid
		fi
	done
	if [ "$n" -eq 3 ] && [ "$n_ns" -eq 3 ] && [ "$bad_pid" = 0 ]; then
		pass "pidns: spans=3, all from children of the namespace's httpd (pids $pids)"
	else
		fail "pidns: want 3 spans of :8081 from children of pid $ns_httpd, got $n ($n_ns of :8081; pids $pids; not forked by it: $bad_pid)"
		dump /tmp/ns/spans ns-span
	fi
fi
touch /tmp/ns/stop
wait "$ns_pid"
st=$(cat /tmp/ns/status 2>/dev/null)
if [ "$st" = 0 ] || [ "$st" = 143 ]; then
	pass "pidns: obi stopped on SIGTERM (status $st)"
else
	fail "pidns: obi stopped with status '${st:-none}'"
fi
dump /tmp/ns/log NSLOG
finish
