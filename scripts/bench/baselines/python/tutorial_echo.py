#!/usr/bin/env python3
"""The tutorial's TCP + UDP select() echo server, made runnable: a benchmark baseline.

Source: shared/seed/000_24d777eba74c53c2.txt ("TCP and UDP Server using Select"). The
tutorial shows a TCP loop and a UDP loop separately; here they are one loop over one
list, which is what its text describes ("monitor multiple sockets"). Its design is kept
on purpose, flaws included, because it is the baseline:

  - select.select() on Python lists, rebuilt into fd_sets by the interpreter on every
    call (O(n) per wake-up, and ValueError past descriptor 1023: FD_SETSIZE)
  - blocking sockets; sock.send(data) (not sendall: a partial send loses bytes) and a
    slow reader blocks the whole server inside send()
  - recv(1024) and recvfrom(1024): a datagram longer than 1024 bytes is truncated
  - listen(5); no error handling (a reset connection raises and ends the server)

What was added, only so the harness can drive it like every other server: the command
line (--tcp/--udp ADDR:PORT, port 0, --no-tcp/--no-udp, --backlog, --buffer-size and
--log-level accepted), the "listening ..." lines, and exit 0 on SIGTERM/SIGINT. The
tutorial's per-connection and per-datagram print() calls happen at --log-level debug
only: left on, they would measure the terminal, not select.
"""
import select
import signal
import socket
import sys


def parse_addr(text):
    host, _, port = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        return socket.AF_INET6, (host[1:-1], int(port))
    if host == "localhost":
        host = "127.0.0.1"
    return socket.AF_INET, (host, int(port))


def fmt(family, addr):
    return f"[{addr[0]}]:{addr[1]}" if family == socket.AF_INET6 else f"{addr[0]}:{addr[1]}"


def main(argv):
    tcp_addrs, udp_addrs = [], []
    no_tcp = no_udp = False
    backlog = 5  # the tutorial's listen(5)
    log_level = "info"
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--tcp", "--udp", "--backlog", "--buffer-size", "--log-level"):
            if i + 1 >= len(argv):
                print(f"tutorial_echo: {a} needs a value", file=sys.stderr)
                return 2
            v = argv[i + 1]
            i += 2
            if a == "--tcp":
                tcp_addrs.append(parse_addr(v))
            elif a == "--udp":
                udp_addrs.append(parse_addr(v))
            elif a == "--backlog":
                backlog = int(v)
            elif a == "--log-level":
                log_level = v
            # --buffer-size is accepted and ignored: the tutorial reads 1024 bytes
            continue
        if a == "--no-tcp":
            no_tcp = True
        elif a == "--no-udp":
            no_udp = True
        else:
            print(f"tutorial_echo: unknown argument {a}", file=sys.stderr)
            return 2
        i += 1
    if not tcp_addrs and not no_tcp:
        tcp_addrs.append((socket.AF_INET, ("127.0.0.1", 5000)))
    if not udp_addrs and not no_udp:
        udp_addrs.append((socket.AF_INET, ("127.0.0.1", 6000)))
    if no_tcp:
        tcp_addrs = []
    if no_udp:
        udp_addrs = []
    debug = log_level in ("debug", "trace")

    def on_signal(signum, frame):
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    # Create, bind, listen: as in the tutorial.
    tcp_sockets, udp_sockets = [], []
    for family, addr in tcp_addrs:
        tcp_socket = socket.socket(family, socket.SOCK_STREAM)
        tcp_socket.bind(addr)
        tcp_socket.listen(backlog)
        tcp_sockets.append(tcp_socket)
        print(f"listening tcp {fmt(family, tcp_socket.getsockname())}", flush=True)
    for family, addr in udp_addrs:
        udp_socket = socket.socket(family, socket.SOCK_DGRAM)
        udp_socket.bind(addr)
        udp_sockets.append(udp_socket)
        print(f"listening udp {fmt(family, udp_socket.getsockname())}", flush=True)

    # The tutorial's loop.
    socket_list = tcp_sockets + udp_sockets
    while True:
        readable, _, _ = select.select(socket_list, [], [])
        for sock in readable:
            if sock in tcp_sockets:  # New connection
                client_socket, addr = sock.accept()
                if debug:
                    print(f"New TCP connection from {addr}")
                socket_list.append(client_socket)
            elif sock in udp_sockets:  # A datagram
                data, client_address = sock.recvfrom(1024)
                if debug:
                    print(f"Received UDP data from {client_address}: {data}")
                sock.sendto(data, client_address)
            else:  # Data from existing client
                data = sock.recv(1024)
                if data:
                    sock.send(data)  # Echo back
                else:
                    socket_list.remove(sock)
                    sock.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
