#!/usr/bin/env python3
"""tests/k8s/bench.py BUILD [PODS [on|refuse]]: the Kubernetes client at scale against the
stand-in (make bench-k8s): initial sync time, peak RSS, cache bytes per pod (the streaming list,
or with "refuse" a server without it: paginated lists), watch events/s (end to end through the
stand-in, and the client alone on a recorded stream: best and median of 7 runs), lookup cost
per span. One JSON line per scenario, then a Markdown table for docs/benchmarks.md."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Standin, Tool, wait_for  # noqa: E402
import k8sworld as W  # noqa: E402


def scenario(build, pods, svcs, nodes, churn, watch_list):
    t0 = time.monotonic()
    s = Standin(world=f"bench:{pods},{svcs},{nodes}", bookmark=5, watch_list=watch_list)
    gen_s = time.monotonic() - t0
    try:
        t = Tool(build, s, {"ASAN_OPTIONS": "", "OTEL_EBPF_KUBE_INFORMERS_SYNC_TIMEOUT": "900s"})
        st = t.ask("stats")
        assert st["pods"] == pods, st
        r = {"pods": pods, "services": svcs, "nodes": nodes, "list": watch_list,
             "standin_build_s": round(gen_s, 1),
             "sync_s": round(t.ready_s, 3), "sync_cpu_s": round(t.ready_cpu_s, 3),
             "load": os.getloadavg()[0], "rss_mib": round(st["hwm_kib"] / 1024, 1),
             "cache_mib": round(st["bytes"] / 1048576, 2),
             "bytes_per_pod": round(st["bytes"] / pods), "strings": st["strings"]}
        cid = W.cid(f"ns-00/app-00000-7c9d8f6b5-00000/app")
        r["lookup_ns"] = round(t.ask(f"bench-lookup {cid}")["lookup_ns"], 1)
        if churn:
            before = st["events"]
            t1 = time.monotonic()
            s.control("churn", {"resource": "pods", "count": churn})
            wait_for(lambda: t.ask("stats")["events"] - before >= churn, 300, "the churn")
            r["watch_events_per_s_e2e"] = round(churn / (time.monotonic() - t1))
            st = t.ask("stats")
            r["rss_mib_after_churn"] = round(st["hwm_kib"] / 1024, 1)
            path = os.path.join(s.dir, "events.json")
            with open(path, "w") as f:
                for res, o in W.bench_world(min(pods, 10000), 0, 1):
                    if res == "pods":
                        f.write(json.dumps({"type": "MODIFIED", "object": o},
                                           separators=(",", ":")) + "\n")
            # the best of 7 runs and their median: the machine is shared, a run's CPU time
            # includes cache and frequency effects of the others' load
            runs = [t.ask(f"bench-events {path}") for _ in range(7)]
            assert all(b["events"] == min(pods, 10000) and b["pods"] == b["events"]
                       for b in runs), runs
            for k in ("add", "modify"):
                v = sorted(b[f"{k}_per_s"] for b in runs)
                r[f"watch_events_per_s_client_{k}"] = round(v[-1])
                r[f"watch_events_per_s_client_{k}_median"] = round(v[len(v) // 2])
        t.close()
        return r
    finally:
        s.close()


def main():
    build = sys.argv[1]
    only = int(sys.argv[2]) if len(sys.argv) > 2 else None  # one world size (pods)
    watch_list = sys.argv[3] if len(sys.argv) > 3 else "on"
    rows = []
    for pods, svcs, nodes, churn in ((10000, 2000, 500, 50000), (100000, 2000, 500, 0)):
        if only and pods != only:
            continue
        r = scenario(build, pods, svcs, nodes, churn, watch_list)
        print(json.dumps(r), flush=True)
        rows.append(r)
    print("\n| pods / services / nodes | sync wall (client CPU) | peak RSS | cache | bytes/pod | "
          "lookup | watch events/s (e2e / client CPU: add / modify, best (median) of 7) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        ev = (f"{r['watch_events_per_s_e2e']:,} / {r['watch_events_per_s_client_add']:,} "
              f"({r['watch_events_per_s_client_add_median']:,}) / "
              f"{r['watch_events_per_s_client_modify']:,} "
              f"({r['watch_events_per_s_client_modify_median']:,})"
              if "watch_events_per_s_e2e" in r else "-")
        print(f"| {r['pods']:,} / {r['services']:,} / {r['nodes']} | {r['sync_s']} s "
              f"({r['sync_cpu_s']} s) | "
              f"{r['rss_mib']} MiB | {r['cache_mib']} MiB | {r['bytes_per_pod']} | "
              f"{r['lookup_ns']} ns | {ev} |")


if __name__ == "__main__":
    main()
