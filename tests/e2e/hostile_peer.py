#!/usr/bin/env python3
"""A hostile local client of obi's socket, run by cases_boundary.py as some uid (setpriv).

  hostile_peer.py nohello PATH SECS      connect, never send: print "eof S" or "open"
  hostile_peer.py hello PATH SECS        connect, send a valid enricher hello, never read
  hostile_peer.py flood PATH SECS [hold [hello]]  connect (send a hello), close, in a loop;
                                         print the attempt count
  hostile_peer.py try PATH               one connect: print "ok" or the errno name
  hostile_peer.py fakeprobe PATH UID SECS  bind as root, become UID, listen, accept, send a hello
"""
import errno
import os
import socket
import struct
import sys
import time


def _version(header, name):
    """The version the binaries were built with, from the C header (a valid hello must match)."""
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "common", header)) as f:
        for line in f:
            if line.startswith("#define %s " % name):
                return int(line.split()[2])
    raise SystemExit("no %s in common/%s" % (name, header))


WIRE_VERSION = _version("wire.h", "OBI_WIRE_VERSION")
ABI_VERSION = _version("obi_abi.h", "OBI_ABI_VERSION")


def hello(role):
    body = b"OBI1" + struct.pack("<HHIIqII", WIRE_VERSION, ABI_VERSION, role, os.getpid(), 0,
                                 65536, 0)
    return struct.pack("<IIII", 1, 16 + len(body), 0, 0) + body


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    return s


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "try":
        try:
            connect(path).close()
            print("ok")
        except OSError as e:
            print(errno.errorcode.get(e.errno, str(e.errno)))
        return
    if mode == "fakeprobe":
        uid, secs = int(sys.argv[3]), float(sys.argv[4])
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.bind(path)
        os.chmod(path, 0o666)
        os.setgid(uid)
        os.setuid(uid)  # listen() records these credentials as the server's SO_PEERCRED
        s.listen(4)
        s.settimeout(secs)
        end = time.monotonic() + secs
        n = 0
        while time.monotonic() < end:
            try:
                c, _ = s.accept()
            except OSError:
                break
            n += 1
            try:
                c.send(hello(1))
            except OSError:
                pass
        print("accepted %d" % n, flush=True)
        return
    secs = float(sys.argv[3])
    if mode == "flood":
        hold = float(sys.argv[4]) if len(sys.argv) > 4 else 0
        greet = len(sys.argv) > 5 and sys.argv[5] == "hello"
        end, n, held = time.monotonic() + secs, 0, []
        while time.monotonic() < end:
            try:
                s = connect(path)
                n += 1
                if greet:
                    s.send(hello(2))
                if hold:
                    held.append((time.monotonic() + hold, s))
                else:
                    s.close()
            except OSError:
                n += 1
            while held and held[0][0] < time.monotonic():
                held.pop(0)[1].close()
        print(n, flush=True)
        return
    s = connect(path)
    t0 = time.monotonic()
    if mode == "hello":
        s.send(hello(2))
        time.sleep(secs)
        print("held", flush=True)
        return
    s.settimeout(0.05)
    while time.monotonic() - t0 < secs:
        try:
            d = s.recv(70000)
            if not d:
                print("eof %.2f" % (time.monotonic() - t0), flush=True)
                return
        except socket.timeout:
            pass
        except OSError:
            print("eof %.2f" % (time.monotonic() - t0), flush=True)
            return
    print("open", flush=True)


if __name__ == "__main__":
    main()
