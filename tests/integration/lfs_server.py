#!/usr/bin/env python3
"""A Git LFS server for the test git server (git_server.sh): the batch API and the basic
transfer (upload, download, verify), storing each repo's objects where git-lfs keeps them
in a bare repo, <root>/<name>.git/lfs/objects/<oid[0:2]>/<oid[2:4]>/<oid>. nginx puts it
behind the same basic auth as git itself (it sees only authenticated requests).

Faults for the tests, read from files in <fault dir> at every request:
  upload-500   a number N: the next N uploads (PUT) answer 500 and store nothing
  batch.json   the answer to the next batch request, verbatim (the file is then removed):
               a hostile server
Objects damaged or removed in the store are served as they are (a corrupt or missing object).

usage: lfs_server.py PORT ROOT FAULT_DIR   (PORT 0: any free port, printed on the first line)
"""
import hashlib
import json
import os
import re
import sys
import tempfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, ROOT, FAULTS = int(sys.argv[1]), sys.argv[2], sys.argv[3]
MEDIA = "application/vnd.git-lfs+json"
OID = re.compile(r"^[0-9a-f]{64}$")
PATH = re.compile(r"^/([A-Za-z0-9._-]+)\.git/info/lfs/objects(?:/batch|/([0-9a-f]{64})(/verify)?)$")
CHUNK = 1 << 20


def object_path(repo, oid):
    return os.path.join(ROOT, repo + ".git", "lfs", "objects", oid[0:2], oid[2:4], oid)


def take_fault(name):
    """Uses up one of the faults named `name`; True when there was one."""
    path = os.path.join(FAULTS, name)
    try:
        with open(path) as f:
            left = int(f.read().strip() or 0)
    except (OSError, ValueError):
        return False
    if left <= 0:
        return False
    with open(path, "w") as f:
        f.write(str(left - 1))
    return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("lfs_server: " + (fmt % args) + "\n")

    def reply(self, status, body=b"", content_type=MEDIA):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def reply_json(self, status, value):
        self.reply(status, json.dumps(value).encode())

    def route(self):
        match = PATH.match(self.path.split("?")[0])
        if not match or not os.path.isdir(os.path.join(ROOT, match.group(1) + ".git")):
            self.reply_json(404, {"message": "no such repository"})
            return None
        return match

    def base(self, repo):
        proto = self.headers.get("X-Forwarded-Proto", "http")
        return "%s://%s/%s.git/info/lfs/objects" % (proto, self.headers["Host"], repo)

    def read_body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def do_POST(self):
        match = self.route()
        if not match:
            return
        repo, oid, verify = match.group(1), match.group(2), match.group(3)
        try:
            request = json.loads(self.read_body())
        except ValueError:
            return self.reply_json(422, {"message": "not JSON"})
        if oid and verify:
            path = object_path(repo, oid)
            if os.path.isfile(path) and os.path.getsize(path) == request.get("size"):
                return self.reply_json(200, {})
            return self.reply_json(404, {"message": "not stored"})
        if oid:
            return self.reply_json(405, {"message": "POST an object?"})
        canned = os.path.join(FAULTS, "batch.json")
        if os.path.exists(canned):
            with open(canned, "rb") as f:
                body = f.read()
            os.unlink(canned)
            return self.reply(200, body)
        operation = request.get("operation")
        objects = []
        for item in request.get("objects", []):
            oid, size = item.get("oid", ""), item.get("size", -1)
            if not OID.match(oid) or not isinstance(size, int) or size < 0:
                objects.append({"oid": oid, "size": size, "error": {"code": 422, "message": "bad object"}})
                continue
            path = object_path(repo, oid)
            have = os.path.isfile(path)
            href = self.base(repo) + "/" + oid
            entry = {"oid": oid, "size": size, "authenticated": True}
            if operation == "upload":
                if not have:
                    entry["actions"] = {"upload": {"href": href, "expires_in": 3600},
                                        "verify": {"href": href + "/verify", "expires_in": 3600}}
            elif operation == "download":
                if have:
                    entry["actions"] = {"download": {"href": href, "expires_in": 3600}}
                else:
                    entry["error"] = {"code": 404, "message": "object not found"}
            else:
                return self.reply_json(422, {"message": "unknown operation"})
            objects.append(entry)
        self.reply_json(200, {"transfer": "basic", "objects": objects, "hash_algo": "sha256"})

    def do_PUT(self):
        match = self.route()
        if not match or not match.group(2) or match.group(3):
            return
        repo, oid = match.group(1), match.group(2)
        length = int(self.headers.get("Content-Length", "0"))
        if take_fault("upload-500"):
            self.rfile.read(length)
            return self.reply_json(500, {"message": "injected failure"})
        path = object_path(repo, oid)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        digest = hashlib.sha256()
        fd, temp = tempfile.mkstemp(dir=os.path.dirname(path))
        with os.fdopen(fd, "wb") as out:
            left = length
            while left > 0:
                chunk = self.rfile.read(min(CHUNK, left))
                if not chunk:
                    break
                digest.update(chunk)
                out.write(chunk)
                left -= len(chunk)
        if left != 0 or digest.hexdigest() != oid:
            os.unlink(temp)
            return self.reply_json(422, {"message": "content does not match the oid"})
        os.rename(temp, path)
        self.reply(200, b"", "text/plain")

    def do_GET(self):
        match = self.route()
        if not match or not match.group(2) or match.group(3):
            return
        path = object_path(match.group(1), match.group(2))
        if not os.path.isfile(path):
            return self.reply_json(404, {"message": "object not found"})
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(os.path.getsize(path)))
        self.end_headers()
        with open(path, "rb") as f:
            while True:
                chunk = f.read(CHUNK)
                if not chunk:
                    break
                self.wfile.write(chunk)


server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
if PORT == 0:
    print(server.server_address[1], flush=True)
server.serve_forever()
