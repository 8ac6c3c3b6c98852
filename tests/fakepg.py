#!/usr/bin/env python3
"""fakepg.py - a fake PostgreSQL server on loopback for tests/t_connect.sh.

    fakepg.py MODE [ARGS] --port-file FILE [--lifetime SECONDS]

Listens on 127.0.0.1, on a free port that it writes to FILE (atomically,
once it accepts connections), and stops itself after --lifetime seconds
(default 60). Modes:

  silent                    accept every connection and never answer
  close                     accept every connection and close it at once
  starting SECONDS [PORT]   for SECONDS after start, answer an SSLRequest
                            (or GSSENCRequest) with 'N' and the startup
                            message with ErrorResponse FATAL 57P03 "the
                            database system is starting up"; afterwards
                            relay each new connection to 127.0.0.1:PORT
                            (without PORT: keep refusing as starting up)

Every accepted connection is logged on stdout as one line
("conn N starting|relay|silent|close"), so a test can count attempts.
"""
import argparse
import os
import socket
import struct
import sys
import threading
import time

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102


def log(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def error_response(sqlstate, message):
    fields = b""
    for code, value in ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", sqlstate),
                        (b"M", message)):
        fields += code + value.encode() + b"\0"
    fields += b"\0"
    return b"E" + struct.pack("!I", len(fields) + 4) + fields


def answer_starting(conn):
    """Refuses the SSL/GSS requests, then the startup with 57P03."""
    try:
        while True:
            head = recv_exact(conn, 8)
            if head is None:
                return
            length, code = struct.unpack("!II", head)
            if length < 8 or length > 10000:
                return
            if recv_exact(conn, length - 8) is None:
                return
            if code in (SSL_REQUEST, GSSENC_REQUEST):
                conn.sendall(b"N")
                continue
            if code == CANCEL_REQUEST:
                return
            conn.sendall(error_response(
                "57P03", "the database system is starting up"))
            return
    except OSError:
        return
    finally:
        conn.close()


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def relay(conn, port):
    try:
        up = socket.create_connection(("127.0.0.1", port), timeout=5)
        up.settimeout(None)
    except OSError:
        conn.close()
        return
    t = threading.Thread(target=pipe, args=(up, conn), daemon=True)
    t.start()
    pipe(conn, up)
    t.join(5)
    up.close()
    conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["silent", "close", "starting"])
    ap.add_argument("args", nargs="*")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--lifetime", type=float, default=60)
    ap.add_argument("--port", type=int, default=0,
                    help="listen on this port (default: any free one)")
    a = ap.parse_args()

    start = time.monotonic()
    starting_for = float(a.args[0]) if a.mode == "starting" and a.args else 0
    target = int(a.args[1]) if a.mode == "starting" and len(a.args) > 1 else 0

    # Stop on our own, whatever the test does.
    def expire():
        time.sleep(a.lifetime)
        os._exit(0)

    threading.Thread(target=expire, daemon=True).start()

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", a.port))
    srv.listen(64)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(tmp, a.port_file)

    held = []  # silent mode: keep the sockets open, unanswered
    n = 0
    while True:
        conn, _ = srv.accept()
        n += 1
        if a.mode == "silent":
            log("conn %d silent" % n)
            held.append(conn)
        elif a.mode == "close":
            log("conn %d close" % n)
            conn.close()
        elif time.monotonic() - start < starting_for or not target:
            log("conn %d starting" % n)
            threading.Thread(target=answer_starting, args=(conn,),
                             daemon=True).start()
        else:
            log("conn %d relay" % n)
            threading.Thread(target=relay, args=(conn, target),
                             daemon=True).start()


if __name__ == "__main__":
    main()
