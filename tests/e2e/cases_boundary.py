"""The trust boundary between obi's processes, attacked the way a local attacker would
(issue 6): the single-host socketpair, the two-container socket, the launcher's children,
and the loss counters."""

import fcntl
import json
import os
import pty
import re
import signal
import socket
import stat
import subprocess
import tempfile
import termios
import time

import e2e
from e2e import *  # noqa: F401,F403 (check, wait_until, Obi, ...)

HOSTILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile_peer.py")
ACCEPT_LINES = re.compile(r"obi-probe: (refusing|dropping pid|too many connections|pid \d+ .*left)")
CONN_LINES = re.compile(r"obi-probe: enricher (connected|connection closed)")


def as_uid(uid, argv, groups=None):
    return ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid,
            ("--groups=%s" % groups) if groups else "--clear-groups", "--inh-caps=-all",
            "--"] + argv


def hostile(ctx, uid, args, label, groups=None):
    return ctx.spawn(as_uid(uid, [e2e.PYTHON, HOSTILE] + args, groups), label)


def out_of(ctx, label):
    return read_text(os.path.join(ctx.dir, label + ".out")).strip()


def proc_stat(pid):
    """(state, ppid, pgrp, session, tty_nr) from /proc/PID/stat."""
    s = read_text("/proc/%d/stat" % pid)
    f = s[s.rindex(")") + 2:].split()
    return f[0], int(f[1]), int(f[2]), int(f[3]), int(f[4])


def gone(pid):
    try:
        return proc_stat(pid)[0] in ("Z", "X")
    except (OSError, ValueError, IndexError):
        return True


def obi_children(obi):
    probe = e2e._children_named(obi.p.pid, "obi-probe")
    enr = e2e._children_named(obi.p.pid, "obi-enricher")
    check(len(probe) == 1 and len(enr) == 1, "children %r / %r" % (probe, enr))
    return probe[0], enr[0]


def unix_paths_of(pid):
    """Bound paths of the AF_UNIX sockets pid holds (by inode, from /proc/PID/net/unix)."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    paths = []
    for line in read_text("/proc/%d/net/unix" % pid).splitlines()[1:]:
        f = line.split()
        if len(f) >= 8 and f[6] in inodes:
            paths.append(f[7])
    return paths


def wait_enricher_pid(obi, old, timeout=15):
    got = []

    def new_one():
        got[:] = [c for c in e2e._children_named(obi.p.pid, "obi-enricher") if c != old]
        return bool(got)
    check(wait_until(new_one, timeout), "no new obi-enricher after pid %d" % old)
    return got[0]


# ---- single host -------------------------------------------------------------------------

def t_single_host_children(ctx):
    """Both children: own session, no controlling terminal, stdin /dev/null, no inherited
    descriptors, and no socket file anywhere (a socketpair)."""
    srv, port, _ = start_python_server(ctx, "py")
    master, slave = pty.openpty()
    marker = tempfile.NamedTemporaryFile(prefix="obi-e2e-inherited-")
    env = clean_env({"OTEL_EBPF_OPEN_PORT": str(port), "OTEL_EBPF_TRACE_PRINTER": "json",
                     "OTEL_EBPF_PROBE_SOCKET_PATH": "%s/sh-%d/obi.sock" % (SOCK_ROOT, os.getpid()),
                     **ctx.fe_env})

    def on_terminal():  # the operator's shell: obi in the foreground of a terminal
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    err = open(os.path.join(ctx.dir, "obi.err"), "wb")
    out = open(os.path.join(ctx.dir, "obi.out"), "wb")
    p = subprocess.Popen([os.path.join(e2e.BUILD, "obi")], env=env, stdin=slave, stdout=out,
                         stderr=err, preexec_fn=on_terminal, pass_fds=(marker.fileno(),))
    ctx.procs.append((p, "obi"))
    os.close(slave)
    try:
        check(wait_until(lambda: "enricher connected" in read_text(err.name) and
                         "running:" in read_text(err.name), 20), "obi not ready")
        check(proc_stat(p.pid)[4] != 0, "test set-up: the launcher has no controlling terminal")
        check(os.readlink("/proc/%d/fd/%d" % (p.pid, marker.fileno())) == marker.name,
              "test set-up: the launcher did not inherit the marker descriptor")
        kids = [c for c in children_of(p.pid)]
        check(len(kids) == 2, "launcher children %r" % kids)
        for c in kids:
            name = read_text("/proc/%d/comm" % c).strip()
            _, _, pgrp, sid, tty = proc_stat(c)
            check(sid == c and pgrp == c, "%s: session %d / group %d, not its own" % (name, sid, pgrp))
            check(tty == 0, "%s has a controlling terminal (tty_nr %d)" % (name, tty))
            check(os.readlink("/proc/%d/fd/0" % c) == "/dev/null", "%s stdin is %s" % (
                name, os.readlink("/proc/%d/fd/0" % c)))
            for fd in os.listdir("/proc/%d/fd" % c):
                link = os.readlink("/proc/%d/fd/%s" % (c, fd))
                check(link != marker.name, "%s inherited descriptor %s (%s)" % (name, fd, link))
                check("/dev/pts" not in link and "ptmx" not in link or int(fd) in (1, 2),
                      "%s holds the terminal as descriptor %s" % (name, fd))
            check(not any(unix_paths_of(c)), "%s holds a socket with a path: %r" % (
                name, unix_paths_of(c)))
        check(not os.path.exists(env["OTEL_EBPF_PROBE_SOCKET_PATH"]) and
              not os.path.exists(os.path.dirname(env["OTEL_EBPF_PROBE_SOCKET_PATH"])),
              "single host created a socket file or directory")
        # No socket file means no way in for another process, during a restart either.
        enr = [c for c in kids if read_text("/proc/%d/comm" % c).strip() == "obi-enricher"][0]
        os.kill(enr, signal.SIGKILL)
        r = subprocess.run(as_uid(65519, [e2e.PYTHON, HOSTILE, "try",
                                          env["OTEL_EBPF_PROBE_SOCKET_PATH"]]),
                           capture_output=True, text=True, timeout=10)
        check(r.stdout.strip() == "ENOENT", "connect during a restart: %r" % r.stdout)
        check(wait_until(lambda: read_text(err.name).count("enricher connected") >= 2, 15),
              "enricher not restarted")
        check(get("http://127.0.0.1:%d/sh" % port) == "404", "request")
        check(wait_until(lambda: '"url.path":"/sh"' in read_text(out.name), 10), "no span")
    finally:
        os.close(master)
        marker.close()
        err.close()
        out.close()


def t_launcher_kill9(ctx):
    """kill -9 of the launcher leaves no obi-probe or obi-enricher behind, even with the probe
    stopped (SIGSTOP) so that the enricher cannot learn it from its socket: its death signal,
    set after its uid change, must do it."""
    srv, port, _ = start_python_server(ctx, "py")
    for stop_probe in (False, True):
        obi = Obi(ctx, {"OTEL_EBPF_OPEN_PORT": str(port)}, label="obi-%d" % stop_probe)
        obi.wait_ready()
        probe, enr = obi_children(obi)
        check(int(proc_status(enr)["Uid"].split()[0]) == 65519, "enricher uid")
        if stop_probe:
            os.kill(probe, signal.SIGSTOP)
        os.kill(obi.p.pid, signal.SIGKILL)
        obi.p.wait(5)
        obi.stopped = True
        check(wait_until(lambda: gone(enr), 5), "obi-enricher outlived the launcher (probe "
              "%s)" % ("stopped" if stop_probe else "running"))
        if stop_probe:
            os.kill(probe, signal.SIGCONT)
        check(wait_until(lambda: gone(probe), 10), "obi-probe outlived the launcher")


def t_enricher_crash_loop(ctx):
    """The enricher killed -9 again and again: obi keeps running, spans still come."""
    srv, port, _ = start_python_server(ctx, "py")
    obi = Obi(ctx, {"OTEL_EBPF_OPEN_PORT": str(port)})
    obi.wait_ready()
    obi.wait_instrumented(srv.pid)
    _, enr = obi_children(obi)
    for i in range(8):
        os.kill(enr, signal.SIGKILL)
        enr = wait_enricher_pid(obi, enr, timeout=20)
        check(obi.alive(), "obi stopped after %d enricher kills" % (i + 1))
    check(wait_until(lambda: "enricher connected (pid %d," % enr in obi.stderr(), 20),
          "the last enricher (pid %d) did not connect" % enr)
    check(get("http://127.0.0.1:%d/after" % port) == "404", "request")
    spans = expect_exact(obi, server_spans(port), 1)
    check(spans[0]["attributes"]["url.path"] == "/after", "span %r" % spans[0])
    check("keeps failing" not in obi.stderr(), "launcher gave up")


def t_loss_accounting(ctx):
    """Under load with the enricher killed -9 three times, every record the kernel emitted is
    delivered or counted under its reason: the sums add up exactly."""
    ng = Nginx(ctx)
    obi = obi_on_nginx(ctx, ng)
    _, enr = obi_children(obi)
    wrk = ctx.spawn([WRK, "-t1", "-c4", "-d6s", "http://127.0.0.1:%d/k/a" % ng.port], "wrk")
    for _ in range(3):
        time.sleep(1.2)
        os.kill(enr, signal.SIGKILL)
        enr = wait_enricher_pid(obi, enr)
    wrk.wait(30)

    def server_lines():
        """Complete span lines; a line cut by a kill -9 mid-write is not one (and is the
        killed enricher's, which the test does not count on)."""
        n = 0
        for line in read_text(obi.out).splitlines():
            try:
                n += json.loads(line).get("kind") == "SERVER"
            except ValueError:
                pass
        return n
    # Idle connections are closed by wrk's exit: their last exchanges arrive via the close.
    check(wait_until(lambda: server_lines() > 0, 10), "no spans at all")
    time.sleep(1.5)
    obi.stop()
    line = [l for l in obi.stderr().splitlines() if "obi-enricher: stopping:" in l][-1]
    num = lambda what: int(re.search(r"(\d+) " + what, line).group(1))
    emitted = num("exchanges")
    delivered, qfull = num("delivered"), num("send queue full")
    noenr, disc, bad = num("no enricher connected"), num("discarded on disconnect"), num("malformed")
    requests = ng.access_lines()
    ctx.note("requests %d emitted %d delivered %d no-enricher %d disconnect %d queue-full %d"
             % (requests, emitted, delivered, noenr, disc, qfull))
    check(num("ring drops") == 0, "ring drops: %s" % line)
    check(emitted == requests, "kernel emitted %d exchanges for %d requests" % (emitted, requests))
    check(delivered + qfull + noenr + disc + bad == emitted,
          "delivered %d + queue full %d + no enricher %d + disconnect %d + malformed %d != "
          "emitted %d" % (delivered, qfull, noenr, disc, bad, emitted))
    check(noenr + disc > 0, "three enricher kills under load cost nothing: test not testing")
    spans = server_lines()
    check(spans <= delivered, "%d spans printed but only %d delivered" % (spans, delivered))


# ---- two containers ------------------------------------------------------------------------

def start_probe_alone(ctx, sock_path, label="probe", hardened=False, extra_env=None, wait=True):
    env = clean_env({"OTEL_EBPF_OPEN_PORT": str(extra_env.pop("port")) if extra_env and
                     "port" in extra_env else "18998",
                     "OTEL_EBPF_TRACE_PRINTER": "json", "OTEL_EBPF_PROBE_SOCKET_PATH": sock_path,
                     **ctx.fe_env, **(extra_env or {})})
    if hardened:
        env["OTEL_EBPF_PROBE_UID"] = "65534"
        argv = e2e.probe_unprivileged_argv()
    else:
        argv = [os.path.join(e2e.BUILD, "obi-probe")]
    p = ctx.spawn(argv, label, env=env)
    errf = os.path.join(ctx.dir, label + ".err")
    if wait:
        check(wait_until(lambda: p.poll() is not None or "running:" in read_text(errf), 20),
              "probe did not start")
        check(p.poll() is None, "probe exited: %s" % tail(errf))
    return p, env, errf


def start_enricher_alone(ctx, env, label="enricher"):
    return ctx.spawn(as_uid(65519, [os.path.join(e2e.BUILD, "obi-enricher")]), label, env=env)


def shared_dir(ctx):
    d = tempfile.mkdtemp(prefix="obi-e2e-shared-", dir="/run")
    os.chmod(d, 0o777)  # a Kubernetes emptyDir
    ctx.tmpdirs.append(d)
    return d


def real_sock(d):
    return os.path.join(d, "obi-probe.d", "obi.sock")


def t_two_containers_layout(ctx):
    """Shared volume: the socket lives in the probe's private subdirectory, owned and
    moded as documented; a group-writable or symlinked directory is refused."""
    d = shared_dir(ctx)
    probe, env, errf = start_probe_alone(ctx, d + "/obi.sock")
    sub = os.lstat(os.path.join(d, "obi-probe.d"))
    rt_uid = int(proc_status(probe.pid)["Uid"].split()[1])  # the probe's run-time uid
    check(stat.S_ISDIR(sub.st_mode) and stat.S_IMODE(sub.st_mode) == 0o710 and
          sub.st_uid == rt_uid and sub.st_gid == 65519,
          "private dir %o %d:%d (probe runs as %d)" % (sub.st_mode, sub.st_uid, sub.st_gid,
                                                       rt_uid))
    s = os.lstat(real_sock(d))
    check(stat.S_ISSOCK(s.st_mode) and stat.S_IMODE(s.st_mode) == 0o600 and s.st_uid == 65519,
          "socket %o uid %d" % (s.st_mode, s.st_uid))
    check(not os.path.lexists(d + "/obi.sock"), "a socket in the shared directory itself")
    kill_group(probe)
    check(not os.path.lexists(real_sock(d)), "socket not removed at exit")
    g = tempfile.mkdtemp(prefix="obi-e2e-gw-", dir="/run")
    ctx.tmpdirs.append(g)
    os.chmod(g, 0o775)
    p2, _, err2 = start_probe_alone(ctx, g + "/obi.sock", label="probe-gw", wait=False)
    p2.wait(30)
    check(p2.returncode != 0 and "writable by group or others" in read_text(err2) and
          "chmod go-w" in read_text(err2), "group-writable dir: %s" % tail(err2, 3))
    link = g + "-link"
    os.symlink(d, link)
    ctx.tmpdirs.append(link)
    p3, _, err3 = start_probe_alone(ctx, link + "/obi.sock", label="probe-link", wait=False)
    p3.wait(30)
    os.unlink(link)
    check(p3.returncode != 0 and "symlink" in read_text(err3), "symlinked dir: %s" % tail(err3, 3))


def t_hostile_no_hello(ctx):
    """An enricher-uid client that connects first and never says hello is dropped after 2 s;
    the real enricher gets in meanwhile and spans flow."""
    srv, port, _ = start_python_server(ctx, "py")
    d = shared_dir(ctx)
    probe, env, errf = start_probe_alone(ctx, d + "/obi.sock", extra_env={"port": port})
    h = hostile(ctx, 65519, ["nohello", real_sock(d), "6"], "hostile")
    time.sleep(0.3)
    enr = start_enricher_alone(ctx, env)
    check(wait_until(lambda: "enricher connected" in read_text(errf), 10),
          "the real enricher did not get in while a silent client waited")
    h.wait(15)
    res = out_of(ctx, "hostile")
    check(res.startswith("eof"), "the hostile client was not dropped: %r" % res)
    check(1.8 <= float(res.split()[1]) <= 3.5, "dropped after %s s, expected ~2" % res)
    check("no hello in time" in read_text(errf), "drop not logged")
    check(get("http://127.0.0.1:%d/nh" % port) == "404", "request")
    out = os.path.join(ctx.dir, "enricher.out")
    check(wait_until(lambda: '"url.path":"/nh"' in read_text(out), 10), "no span")


def t_hostile_silent_hello(ctx):
    """An enricher-uid client that says hello and then stops reading holds the slot only until
    it is silent (2 s): the real enricher then replaces it."""
    srv, port, _ = start_python_server(ctx, "py")
    d = shared_dir(ctx)
    probe, env, errf = start_probe_alone(ctx, d + "/obi.sock", extra_env={"port": port})
    hostile(ctx, 65519, ["hello", real_sock(d), "30"], "hostile")
    check(wait_until(lambda: "enricher connected" in read_text(errf), 10), "hostile hello")
    enr = start_enricher_alone(ctx, env)
    check(wait_until(lambda: "silent: replaced" in read_text(errf), 15),
          "the silent client was not replaced: %s" % tail(errf, 5))
    check(wait_until(lambda: "connected to obi-probe" in read_text(
        os.path.join(ctx.dir, "enricher.err")), 5), "real enricher not connected")
    time.sleep(0.5)
    check(get("http://127.0.0.1:%d/sil" % port) == "404", "request")
    out = os.path.join(ctx.dir, "enricher.out")
    check(wait_until(lambda: '"url.path":"/sil"' in read_text(out), 10), "no span")


def t_hostile_other_uids(ctx):
    """Root and another uid that can reach the socket (hardened pod: 0660, enricher group)
    are refused by credentials; a flood of them writes a bounded number of log lines and does
    not keep the real enricher out."""
    srv, port, _ = start_python_server(ctx, "py")
    d = shared_dir(ctx)
    probe, env, errf = start_probe_alone(ctx, d + "/obi.sock", hardened=True,
                                         extra_env={"port": port})
    s = os.lstat(real_sock(d))
    check(stat.S_IMODE(s.st_mode) == 0o660 and s.st_gid == 65519,
          "hardened socket %o gid %d" % (s.st_mode, s.st_gid))
    r = subprocess.run([e2e.PYTHON, HOSTILE, "nohello", real_sock(d), "3"], capture_output=True,
                       text=True, timeout=10)
    check(r.stdout.startswith("eof"), "root client not refused: %r" % r.stdout)
    check("refusing a connection from uid 0" in read_text(errf), "root refusal not logged")
    h = hostile(ctx, 1000, ["nohello", real_sock(d), "3"], "uid1000", groups="65519")
    h.wait(10)
    res = out_of(ctx, "uid1000")
    check(res.startswith("eof") and float(res.split()[1]) < 1.0,
          "uid 1000 (enricher group) not refused at once: %r" % res)
    check("refusing a connection from uid 1000" in read_text(errf), "uid 1000 refusal not logged")
    time.sleep(1.5)  # let the log bucket refill a little: the flood below is counted from here
    before = len(ACCEPT_LINES.findall(read_text(errf)))
    cbefore = len(CONN_LINES.findall(read_text(errf)))
    t0 = time.monotonic()
    f1 = hostile(ctx, 1000, ["flood", real_sock(d), "4"], "flood-uid1000", groups="65519")
    f2 = hostile(ctx, 65519, ["flood", real_sock(d), "4", "0.5"], "flood-nohello")
    f3 = hostile(ctx, 65519, ["flood", real_sock(d), "4", "0", "hello"], "flood-hello")
    time.sleep(1)
    enr = start_enricher_alone(ctx, env)
    check(wait_until(lambda: "connected to obi-probe" in read_text(
        os.path.join(ctx.dir, "enricher.err")), 10), "real enricher kept out by the flood")
    for f in (f1, f2, f3):
        f.wait(20)
    secs = time.monotonic() - t0 + 1
    n1, n2 = int(out_of(ctx, "flood-uid1000") or 0), int(out_of(ctx, "flood-nohello") or 0)
    n3 = int(out_of(ctx, "flood-hello") or 0)
    time.sleep(2.5)  # the last waiters' deadlines
    lines = len(ACCEPT_LINES.findall(read_text(errf))) - before
    clines = len(CONN_LINES.findall(read_text(errf))) - cbefore
    ctx.note("flood: %d + %d + %d connects, %d + %d log lines in %.1f s" % (
        n1, n2, n3, lines, clines, secs))
    check(n1 >= 500 and n2 >= 100 and n3 >= 100, "flood too weak to test anything (%d, %d, %d)"
          % (n1, n2, n3))
    check(1 <= lines <= 5 + int(secs + 3), "%d accept-path log lines for a %.0f s flood" % (
        lines, secs))
    check(clines <= 5 + int(secs + 3), "%d connect/close log lines for a %.0f s flood" % (
        clines, secs))
    check(get("http://127.0.0.1:%d/fl" % port) == "404", "request")
    out = os.path.join(ctx.dir, "enricher.out")
    check(wait_until(lambda: '"url.path":"/fl"' in read_text(out), 10), "no span after the flood")


def t_enricher_checks_probe(ctx):
    """Something else serving the socket path: a trap directory is not entered, and a server
    whose credentials are not the probe's is disconnected."""
    d = tempfile.mkdtemp(prefix="obi-e2e-fake-", dir="/run")
    ctx.tmpdirs.append(d)
    os.chmod(d, 0o755)
    env = clean_env({"OTEL_EBPF_PROBE_SOCKET_PATH": d + "/obi.sock",
                     "OTEL_EBPF_TRACE_PRINTER": "json"})
    fake = ctx.spawn([e2e.PYTHON, HOSTILE, "fakeprobe", d + "/obi.sock", "1000", "8"], "fake")
    wait_until(lambda: os.path.exists(d + "/obi.sock"), 5)
    enr = start_enricher_alone(ctx, env)
    errf = os.path.join(ctx.dir, "enricher.err")
    check(wait_until(lambda: "served by uid 1000" in read_text(errf), 10),
          "the enricher accepted a server of uid 1000: %s" % tail(errf, 5))
    check("connected to obi-probe" not in read_text(errf), "connected to the fake probe")
    kill_group(enr)
    kill_group(fake)
    # A directory owned by another user: not even connected to.
    os.unlink(d + "/obi.sock")
    os.chown(d, 1000, 1000)
    enr2 = start_enricher_alone(ctx, env, label="enricher2")
    err2 = os.path.join(ctx.dir, "enricher2.err")
    check(wait_until(lambda: "owned by a user other than root" in read_text(err2), 10),
          "trap directory not refused: %s" % tail(err2, 5))
    kill_group(enr2)


SWAP_LOOP = r"""
import os, random, sys, time
d, target = sys.argv[1], sys.argv[2]
end = time.monotonic() + float(sys.argv[3])
n = 0
while time.monotonic() < end:
    # Attack for a while, then let the probe in: both its refusals and its successful starts
    # happen under attack.
    burst = time.monotonic() + random.uniform(0.05, 0.6)
    while time.monotonic() < burst:
        sub = os.path.join(d, "obi-probe.d")
        try:
            os.symlink(target, os.path.join(d, "obi.sock"))
        except OSError:
            pass
        try:
            if os.path.isdir(sub) and not os.path.islink(sub):
                os.rename(sub, os.path.join(d, "moved-%d" % n))
            if random.random() < 0.5:
                os.symlink(os.path.dirname(target), sub)
            else:
                os.mkdir(sub)
                os.chmod(sub, 0o777)
                os.symlink(target, os.path.join(sub, "obi.sock"))
            n += 1
        except OSError:
            pass
        time.sleep(0.0002)
    for name in ("obi.sock", "obi-probe.d"):
        p = os.path.join(d, name)
        try:
            if os.path.islink(p):
                os.unlink(p)
            elif os.path.isdir(p) and os.lstat(p).st_uid == os.getuid():
                os.rename(p, os.path.join(d, "mine-%d" % n))
        except OSError:
            pass
    print(n, flush=True)
    time.sleep(random.uniform(0.2, 1.0))
"""


def t_symlink_race(ctx):
    """A uid-1000 attacker swaps symlinks into the shared socket directory in a loop while the
    probe restarts: no root-owned file ever changes mode or owner."""
    d = shared_dir(ctx)
    tdir = tempfile.mkdtemp(prefix="obi-e2e-victim-", dir="/run")
    ctx.tmpdirs.append(tdir)
    victims = [os.path.join(tdir, "obi.sock"), os.path.join(tdir, "secret")]
    for v in victims:
        with open(v, "w") as f:
            f.write("root's\n")
        os.chmod(v, 0o600)
    os.chmod(tdir, 0o755)
    before = {v: os.lstat(v) for v in victims + [tdir]}
    script = os.path.join(ctx.dir, "swap.py")
    with open(script, "w") as f:
        f.write(SWAP_LOOP)
    os.chmod(ctx.dir, 0o755)
    os.chmod(script, 0o644)
    swapper = hostile_swap = ctx.spawn(as_uid(1000, [e2e.PYTHON, script, d, victims[0], "40"]),
                                       "swapper")
    starts = refused = 0
    t_end = time.monotonic() + 30
    while time.monotonic() < t_end and starts < 16:
        p, _, errf = start_probe_alone(ctx, d + "/obi.sock", label="probe.%d" % starts, wait=False)
        wait_until(lambda: p.poll() is not None or "running:" in read_text(errf), 20)
        if p.poll() is None:
            starts += 1
        else:
            refused += 1
            starts += 1
        kill_group(p)
        for v in victims + [tdir]:
            a, b = before[v], os.lstat(v)
            check((a.st_mode, a.st_uid, a.st_gid, a.st_ino) == (b.st_mode, b.st_uid, b.st_gid,
                                                                  b.st_ino),
                  "%s changed: mode %o->%o owner %d->%d" % (v, a.st_mode, b.st_mode, a.st_uid,
                                                            b.st_uid))
    kill_group(hostile_swap)
    swaps = (out_of(ctx, "swapper").split() or ["0"])[-1]
    ctx.note("%d probe starts (%d refused), %s swaps" % (starts, refused, swaps))
    check(int(swaps) >= 10, "the attacker did not get to swap (%s)" % swaps)
    check(starts - refused >= 2 and refused >= 2,
          "want starts both refused and run under attack: %d of %d refused" % (refused, starts))


TESTS = [
    ("single_host_children", t_single_host_children, ("socket",)),
    ("launcher_kill9", t_launcher_kill9, ("socket",)),
    ("enricher_crash_loop", t_enricher_crash_loop, ("socket",)),
    ("loss_accounting", t_loss_accounting, ("socket", "syscall")),
    ("two_containers_layout", t_two_containers_layout, ("socket",)),
    ("hostile_no_hello", t_hostile_no_hello, ("socket",)),
    ("hostile_silent_hello", t_hostile_silent_hello, ("socket",)),
    ("hostile_other_uids", t_hostile_other_uids, ("socket",)),
    ("enricher_checks_probe", t_enricher_checks_probe, ("socket",)),
    ("symlink_race", t_symlink_race, ("socket",)),
]
