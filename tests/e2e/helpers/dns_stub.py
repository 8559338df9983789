"""dns_stub.py: a tiny authoritative DNS server over UDP for e2e tests, so that obi resolves a
collector's name through glibc's real resolver (its UDP socket, poll, FIONREAD, the answer
parser) instead of /etc/hosts.

  python3 dns_stub.py ADDR NAME=IPV4 [NAME=IPV4...]

Answers A queries for the given names, an empty NOERROR for their other types (AAAA), and
NXDOMAIN for any other name. Prints "ready" once bound, then one line per query ("q NAME TYPE")."""
import socket
import struct
import sys


def parse_question(msg):
    """(id, flags, qname, qtype, end offset of the question) or None for a malformed query."""
    if len(msg) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    if qd != 1:
        return None
    labels, off = [], 12
    while off < len(msg):
        n = msg[off]
        off += 1
        if n == 0:
            break
        if n > 63 or off + n > len(msg):
            return None
        labels.append(msg[off:off + n].decode("ascii", "replace").lower())
        off += n
    if off + 4 > len(msg):
        return None
    qtype = struct.unpack("!H", msg[off:off + 2])[0]
    return qid, flags, ".".join(labels), qtype, off + 4


def answer(msg, names):
    q = parse_question(msg)
    if q is None:
        return None, None
    qid, flags, name, qtype, end = q
    ip = names.get(name)
    rcode = 0 if ip else 3
    rd = flags & 0x0100
    an = b""
    if ip and qtype == 1:
        # a pointer to the question's name (offset 12), type A, class IN, TTL 5 s, 4 bytes
        an = struct.pack("!HHHIH", 0xC00C, 1, 1, 5, 4) + socket.inet_aton(ip)
    head = struct.pack("!HHHHHH", qid, 0x8400 | rd | rcode, 1, 1 if an else 0, 0, 0)
    return head + msg[12:end] + an, "q %s %d" % (name, qtype)


def main():
    addr = sys.argv[1]
    names = dict(a.lower().split("=", 1) for a in sys.argv[2:])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 53))
    print("ready", flush=True)
    while True:
        msg, peer = s.recvfrom(4096)
        out, line = answer(msg, names)
        if out:
            s.sendto(out, peer)
            print(line, flush=True)


if __name__ == "__main__":
    main()
