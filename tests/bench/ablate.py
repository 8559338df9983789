#!/usr/bin/env python3
"""ablate.py: cuts one step out of the BPF per-request path, in a scratch copy, for ablate.sh.

Usage: ablate.py SRC_DIR VARIANT. Each variant is a textual edit of bpf/ that must match exactly
once: if the code it cuts has changed, this fails loudly instead of measuring something else.
The programs stay loadable and safe (they do less); their spans are wrong and not looked at.
"""
import sys

# variant -> (file under bpf/, text, replacement, what the cut measures)
EDITS = {
    "noio": ("obi.bpf.c",
             "\tobi_on_io(sk, obi_sk_netns_direct(sk), &io, ret, pid_tgid);",
             "\tif (io.ptr == 1) /* never: the state machine is cut */\n"
             "\t\tobi_on_io(sk, obi_sk_netns_direct(sk), &io, ret, pid_tgid);",
             "a selected call stops after the pid filter and the register decode"),
    "lookup": ("exchange.bpf.h",
               "\tc = bpf_map_lookup_elem(&obi_conns, &key);\n\t/* The request",
               "\tc = bpf_map_lookup_elem(&obi_conns, &key);\n"
               "\tif (!c || c->role != 77)\n\t\treturn;\n\t/* The request",
               "it stops after the first segment and the connection lookup"),
    "norb": ("exchange.bpf.h",
             "if (bpf_ringbuf_output(&obi_events, r, size, obi_rb_flags(&obi_events)))",
             "if (((volatile __u32)size) == 0)",
             "no ring output (nor its fill query)"),
    "nopeek": ("exchange.bpf.h",
               "if (bpf_probe_read_user(head, 8, (void *)base) == 0)\n"
               "\t\t\t\tis_req = obi_is_request_start(head, 8);",
               "(void)head;\n\t\t\tis_req = true; /* the bench only sends requests */",
               "no 8-byte peek for a request start"),
    "noreqcap": ("exchange.bpf.h",
                 "if (bpf_probe_read_user(&c->data[off], n, (void *)src)) {\n"
                 "\t\tobi_stat_inc(OBI_ST_READ_ERR);\n\t\treturn;\n\t}\n\tc->req_len",
                 "if (0) {\n\t\treturn;\n\t}\n\tc->req_len",
                 "no copy of the request head"),
    "norespcap": ("exchange.bpf.h",
                  "if (bpf_probe_read_user(&c->data[off], n, (void *)src)) {\n"
                  "\t\tobi_stat_inc(OBI_ST_READ_ERR);\n\t\treturn;\n\t}\n\tc->resp_len",
                  "if (0) {\n\t\treturn;\n\t}\n\tc->resp_len",
                  "no copy of the response head"),
    "notrace": ("exchange.bpf.h",
                "\tif (c->role == OBI_ROLE_SERVER)\n\t\tobi_trace_server_start(c, key);\n}",
                "}",
                "no ids, no task-storage publish"),
}


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in EDITS:
        sys.exit("usage: ablate.py SRC_DIR {%s}" % ",".join(EDITS))
    name, old, new, _ = EDITS[sys.argv[2]]
    path = f"{sys.argv[1]}/bpf/{name}"
    with open(path) as f:
        text = f.read()
    if text.count(old) != 1:
        sys.exit(f"ablate: {sys.argv[2]}: the code it cuts is not in {path} exactly once")
    with open(path, "w") as f:
        f.write(text.replace(old, new))


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--list":
        for k, v in EDITS.items():
            print(f"{k}\t{v[3]}")
    else:
        main()
