#!/usr/bin/env python3
"""A small HTTP(S) server for the HttpClient tests: prints its port, then serves until killed.

usage: http_test_server.py [--cert CERT --key KEY]

  GET  /status/N     answers status N with the body "status N"
  GET  /bytes/N      N bytes (a repeating pattern), with Content-Length
  GET  /headers      the request's headers, one "name: value" a line
  GET  /redirect     302 to another host
  GET  /stall-body   a header promising 10 bytes, 2 of them, then silence
  GET  /limited-once 429 with Retry-After: 1 the first time, then 200 {"ok": true}
  PUT|POST /echo     the request body back, with the same length
  PUT|POST /length   the number of body bytes received
"""
import argparse
import http.server
import ssl
import sys
import threading


LIMITED_LOCK = threading.Lock()
LIMITED_SEEN = []


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def answer(self, status, body, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        length = int(self.headers.get("Content-Length", "0"))
        data = bytearray()
        while len(data) < length:
            chunk = self.rfile.read(min(65536, length - len(data)))
            if not chunk:
                break
            data += chunk
        return bytes(data)

    def do_GET(self):
        path = self.path.split("?")[0]
        if path.startswith("/status/"):
            code = int(path[len("/status/"):])
            self.answer(code, ("status %d" % code).encode())
        elif path.startswith("/bytes/"):
            n = int(path[len("/bytes/"):])
            pattern = bytes(range(256))
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            sent = 0
            while sent < n:
                piece = pattern * 256
                piece = piece[: n - sent]
                self.wfile.write(piece)
                sent += len(piece)
        elif path == "/headers":
            text = "".join("%s: %s\n" % (k.lower(), v) for k, v in self.headers.items())
            self.answer(200, text.encode())
        elif path == "/limited-once":
            with LIMITED_LOCK:
                first = not LIMITED_SEEN
                LIMITED_SEEN.append(True)
            if first:
                self.answer(429, b'{"message": "slow down"}', [("Retry-After", "1")])
            else:
                self.answer(200, b'{"ok": true}')
        elif path == "/redirect":
            self.answer(302, b"moved", [("Location", "https://elsewhere.invalid/stolen")])
        elif path == "/stall-body":
            self.send_response(200)
            self.send_header("Content-Length", "10")
            self.end_headers()
            self.wfile.write(b"ab")
            self.wfile.flush()
            threading.Event().wait(30)
        else:
            self.answer(404, b"no such path")

    do_HEAD = do_GET

    def do_PUT(self):
        body = self.read_body()
        if self.path == "/echo":
            self.answer(200, body)
        elif self.path == "/length":
            self.answer(200, str(len(body)).encode())
        else:
            self.answer(404, b"no such path")

    do_POST = do_PUT


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.handle_error = lambda request, address: None  # a client that hung up on purpose
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
