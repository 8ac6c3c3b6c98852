#!/usr/bin/env python3
"""rtproxy - a TCP proxy that adds latency and counts round trips.

    scripts/rtproxy.py --target HOST:PORT [--delay-ms N] [--port-file F]
                       [--stats-file F]

Listens on 127.0.0.1 (a free port, written to --port-file), forwards every
connection to HOST:PORT and delays each direction by N ms (one way), so a
round trip costs 2N ms as it would across a network. It knows nothing of
the protocol inside (TLS included): it counts

  connections   accepted client connections;
  round_trips   client-to-server bursts answered by the server: a burst
                starts when the client sends after the server last spoke
                (or first); it is counted when the server answers it.

After every closed connection, and on SIGTERM/SIGINT, it writes the counts
as JSON to --stats-file (atomically). scripts/bench uses it with
LATENCY_MS; tests/t_rtproxy.sh checks its counting.
"""
import argparse
import asyncio
import json
import os
import signal
import sys
import time

STATS = {"connections": 0, "round_trips": 0, "per_connection": []}


def write_stats(path):
    if not path:
        return
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(STATS, f)
    os.replace(tmp, path)


class Conn:
    """One proxied connection: who spoke last, and its round trips."""

    def __init__(self):
        self.last = None  # "c" or "s"
        self.waiting = False  # a client burst not yet answered
        self.round_trips = 0

    def saw(self, side):
        if side == "c":
            if self.last != "c":
                self.waiting = True
        elif self.waiting:
            self.waiting = False
            self.round_trips += 1
        self.last = side


async def pump(reader, writer, side, conn, delay):
    """Copies reader to writer; each chunk leaves `delay` s after it came.
    Chunks keep their order: one queue per direction."""
    queue = asyncio.Queue()

    async def sender():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            pass

    task = asyncio.ensure_future(sender())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            conn.saw(side)
            queue.put_nowait((time.monotonic() + delay, data))
    except (ConnectionError, OSError):
        pass
    queue.put_nowait((0, None))
    try:
        await task
    except (ConnectionError, OSError):
        pass


async def handle(creader, cwriter, target, delay, stats_file):
    host, port = target
    conn = Conn()
    STATS["connections"] += 1
    try:
        sreader, swriter = await asyncio.open_connection(host, port)
    except OSError:
        cwriter.close()
        return
    await asyncio.gather(
        pump(creader, swriter, "c", conn, delay),
        pump(sreader, cwriter, "s", conn, delay),
    )
    for w in (cwriter, swriter):
        w.close()
    STATS["round_trips"] += conn.round_trips
    STATS["per_connection"].append(conn.round_trips)
    write_stats(stats_file)


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target", required=True, help="HOST:PORT")
    ap.add_argument("--delay-ms", type=float, default=0.0)
    ap.add_argument("--port-file")
    ap.add_argument("--stats-file")
    a = ap.parse_args()
    host, _, port = a.target.rpartition(":")
    target = (host, int(port))
    delay = a.delay_ms / 1000.0
    # Python 3.11's start_server does not keep the task it makes for each
    # connection: a task waiting on sockets only it references can be
    # collected mid-connection ("Task was destroyed but it is pending!"),
    # and that connection would never be counted. Keep them here.
    tasks = set()

    def accept(r, w):
        t = asyncio.ensure_future(handle(r, w, target, delay, a.stats_file))
        tasks.add(t)
        t.add_done_callback(tasks.discard)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port_no = server.sockets[0].getsockname()[1]
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write(str(port_no))
        os.replace(a.port_file + ".tmp", a.port_file)
    else:
        print(port_no, flush=True)
    write_stats(a.stats_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    write_stats(a.stats_file)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(130)
