#!/usr/bin/env python3
"""httpd.py - a scriptable HTTP server on loopback for the tests.

    tests/httpd.py ROUTES.json REQUESTS.jsonl PORTFILE

ROUTES.json maps "METHOD /path" to a list of responses, served in turn (the
last one repeats):

    {"GET /v1/projects/abc": [{"status": 200, "body": {"status": "INACTIVE"}},
                              {"status": 429, "headers": {"Retry-After": "1"}},
                              {"status": 200, "raw": "not json", "delay": 2}]}

"body" is sent as JSON, "raw" as text; "delay" sleeps before answering,
"close": true drops the connection without an answer. Unknown routes get
404. Every request is appended to REQUESTS.jsonl as {"method", "path",
"headers", "body"}. The chosen port (0 = any free one, loopback only) is
written to PORTFILE once the server listens. It stops by itself after
--lifetime seconds (default 300) so a test that dies leaves nothing behind.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

routes_file, log_file, port_file = sys.argv[1:4]
lifetime = 300.0
if len(sys.argv) > 5 and sys.argv[4] == "--lifetime":
    lifetime = float(sys.argv[5])
with open(routes_file) as f:
    routes = json.load(f)
served = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        key = f"{self.command} {self.path.split('?')[0]}"
        with lock:
            with open(log_file, "a") as log:
                log.write(json.dumps({"method": self.command, "path": self.path,
                                      "headers": dict(self.headers.items()),
                                      "body": body}) + "\n")
            answers = routes.get(key)
            if answers:
                i = served.get(key, 0)
                served[key] = i + 1
                ans = answers[min(i, len(answers) - 1)]
            else:
                ans = {"status": 404, "body": {"message": "no route " + key}}
        if ans.get("delay"):
            time.sleep(float(ans["delay"]))
        if ans.get("close"):
            self.close_connection = True
            self.connection.close()
            return
        if "raw" in ans:
            data = ans["raw"].encode()
            ctype = "text/plain"
        else:
            data = json.dumps(ans.get("body", {})).encode()
            ctype = "application/json"
        self.send_response(int(ans.get("status", 200)))
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in ans.get("headers", {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = handle_any


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os  # noqa: E402  (only for the atomic rename)
os.rename(port_file + ".tmp", port_file)
threading.Timer(lifetime, server.shutdown).start()
server.serve_forever()
