#!/usr/bin/python3
"""A local SMTP server for the notification tests (Debian's python3-aiosmtpd).

Listens on 127.0.0.1 (port 0: any free one), prints "port N" once it accepts
connections, and stores each message it accepts as DIR/NNNN.eml (the raw data, the
envelope recipients in DIR/NNNN.rcpt). Modes:
  --reject-first N   answer 451 (try again later) to the first N messages
  --reject-all CODE  answer CODE (e.g. 550) to every message
  --stall            accept TCP connections and never answer (a relay that hangs)
Runs until killed.
"""
import argparse
import os
import socket
import sys
import threading
import time


def stall(port):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(16)
    print("port %d" % server.getsockname()[1], flush=True)
    held = []
    while True:
        conn, _ = server.accept()
        held.append(conn)  # never answered, never closed
        print("connection", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--reject-first", type=int, default=0)
    ap.add_argument("--reject-all", type=int, default=0)
    ap.add_argument("--stall", action="store_true")
    args = ap.parse_args()
    if args.stall:
        stall(args.port)
        return

    from aiosmtpd.controller import Controller

    os.makedirs(args.dir, exist_ok=True)
    lock = threading.Lock()
    state = {"seen": 0, "stored": len([f for f in os.listdir(args.dir) if f.endswith(".eml")])}

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            with lock:
                state["seen"] += 1
                if args.reject_all:
                    return "%d 5.1.1 rejected by the test" % args.reject_all
                if state["seen"] <= args.reject_first:
                    return "451 4.3.0 try again later"
                state["stored"] += 1
                name = os.path.join(args.dir, "%04d" % state["stored"])
            with open(name + ".tmp", "wb") as f:
                f.write(envelope.original_content or envelope.content)
            with open(name + ".rcpt", "w") as f:
                f.write("\n".join(envelope.rcpt_tos))
            os.rename(name + ".tmp", name + ".eml")
            return "250 2.0.0 stored"

    if args.port == 0:
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        args.port = probe.getsockname()[1]
        probe.close()
    controller = Controller(Handler(), hostname="127.0.0.1", port=args.port)
    controller.start()
    print("port %d" % args.port, flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
