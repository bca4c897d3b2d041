#!/usr/bin/python3
"""A local SMS gateway for the notification tests: records each POST it receives as
DIR/NNNN.json ({"path","headers","body"}) and answers 200, or 503 to the first N with
--fail-first N. Prints "port N" once it listens on 127.0.0.1."""
import argparse
import http.server
import json
import os
import threading


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--fail-first", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    lock = threading.Lock()
    state = {"seen": 0, "stored": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                state["seen"] += 1
                failing = state["seen"] <= args.fail_first
                if not failing:
                    state["stored"] += 1
                    name = os.path.join(args.dir, "%04d.json" % state["stored"])
            if failing:
                self.send_response(503)
                self.end_headers()
                return
            with open(name + ".tmp", "w") as f:
                json.dump({"path": self.path, "headers": dict(self.headers),
                           "body": body.decode("utf-8")}, f)
            os.rename(name + ".tmp", name)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status":"queued"}')

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print("port %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
