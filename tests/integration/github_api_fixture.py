#!/usr/bin/env python3
"""A stand-in for the GitHub REST API, for the GitHub App tests (github_app_test.sh).

It checks App JWTs as GitHub does (RS256 signature with the App's public key, by the openssl
CLI; iat in the past, exp at most 10 minutes ahead, iss the app id), issues installation tokens
that expire after --token-lifetime seconds, and answers nginx's auth_request for the test git
server so that git accepts only a token that is valid now (and --static-token, the server's own).

  POST /app/installations/{id}/access_tokens   Bearer JWT -> 201 {token, expires_at}
  POST /orgs/{org}/repos   token INSTALLATION  -> 201 {clone_url...} | 422 the name exists
  POST /user/repos         token USER          -> the same, for the user account
  GET  /repos/{owner}/{name}                   -> 200 {clone_url} | 404
  GET  /auth                                   -> 204 | 401 (nginx auth_request)
  POST /_control  {"revoke": true, "rate_limit": N, "bad_json": N, "expired": N, "clone_base": URL,
                   "token_lifetime": SECONDS (for tokens issued from now on),
                   "repos_dir": DIR (where created repositories go)}
  GET  /_stats                                 -> {"issued": N, "rate_limited": N, "jwt_refused": N}

Prints its port, then serves until killed. Every token issued is appended to --issued-file.
"""
import argparse
import base64
import http.server
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time

ARGS = None
LOCK = threading.Lock()
STATE = {
    "tokens": {},  # token -> expiry (epoch seconds)
    "rate_limit": 0,  # answer this many API calls with 429 Retry-After: 1
    "bad_json": 0,  # answer this many token exchanges with malformed JSON
    "expired": 0,  # answer this many token exchanges with a token already expired
    "clone_base": "",
    "repos_dir": "",
    "token_lifetime": None,  # seconds a new token lives; None: --token-lifetime
    "issued": 0,
    "rate_limited": 0,
    "jwt_refused": 0,
}


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_jwt(jwt):
    """None when the JWT is good, else why not."""
    parts = jwt.split(".")
    if len(parts) != 3:
        return "not a JWT"
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except ValueError:
        return "undecodable JWT"
    if header.get("alg") != "RS256":
        return "alg is not RS256"
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "in"), "wb") as f:
            f.write((parts[0] + "." + parts[1]).encode())
        with open(os.path.join(tmp, "sig"), "wb") as f:
            f.write(signature)
        verified = subprocess.run(
            ["openssl", "dgst", "-sha256", "-verify", ARGS.public_key, "-signature",
             os.path.join(tmp, "sig"), os.path.join(tmp, "in")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    if verified.returncode != 0:
        return "bad signature"
    now = time.time()
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int) or not isinstance(exp, int):
        return "iat/exp missing"
    if iat > now + 1 or iat < now - 120:
        return "iat not just in the past"
    if exp <= now or exp > now + 600:
        return "exp not within 10 minutes"
    if str(claims.get("iss")) != ARGS.app_id:
        return "iss is not this app"
    return None


def valid_token(token):
    with LOCK:
        expiry = STATE["tokens"].get(token)
    return expiry is not None and expiry > time.time()


def iso(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % args))

    def answer(self, status, body=None, headers=()):
        data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length", "0") or "0")
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            return {}

    def credential(self, scheme):
        value = self.headers.get("Authorization", "")
        prefix = scheme + " "
        return value[len(prefix):] if value.startswith(prefix) else None

    def rate_limited(self):
        with LOCK:
            if STATE["rate_limit"] <= 0:
                return False
            STATE["rate_limit"] -= 1
            STATE["rate_limited"] += 1
        self.answer(429, {"message": "API rate limit exceeded"},
                    [("Retry-After", "1"), ("X-RateLimit-Remaining", "0")])
        return True

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/auth":
            return self.auth()
        if path == "/_stats":
            with LOCK:
                return self.answer(200, {k: STATE[k] for k in ("issued", "rate_limited", "jwt_refused")})
        if self.rate_limited():
            return None
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "repos":
            if not self.api_authorized():
                return self.answer(401, {"message": "Bad credentials"})
            if os.path.isdir(os.path.join(STATE["repos_dir"], parts[2] + ".git")):
                return self.answer(200, self.repo(parts[1], parts[2]))
            return self.answer(404, {"message": "Not Found"})
        return self.answer(404, {"message": "Not Found"})

    def auth(self):
        basic = self.credential("Basic")
        ok = False
        if basic:
            try:
                user, _, password = base64.b64decode(basic).decode().partition(":")
            except ValueError:
                user, password = "", ""
            ok = password == ARGS.static_token or (user == "x-access-token" and valid_token(password))
        if ok:
            return self.answer(204)
        return self.answer(401, {"message": "Bad credentials"}, [("WWW-Authenticate", 'Basic realm="test git"')])

    def api_authorized(self):
        token = self.credential("token") or self.credential("Bearer")
        return token is not None and (valid_token(token) or token == ARGS.user_token)

    def repo(self, owner, name):
        return {"full_name": owner + "/" + name, "private": True,
                "clone_url": STATE["clone_base"] + "/" + name + ".git"}

    def do_POST(self):
        path = self.path.split("?")[0]
        if path == "/_control":
            with LOCK:
                for key, value in self.body().items():
                    if key == "revoke":
                        STATE["tokens"].clear()
                    else:
                        STATE[key] = value
            return self.answer(204)
        if self.rate_limited():
            return None
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[:2] == ["app", "installations"] and parts[3] == "access_tokens":
            return self.access_token(parts[2])
        if len(parts) == 3 and parts[0] == "orgs" and parts[2] == "repos":
            token = self.credential("token") or self.credential("Bearer")
            if token is None or not valid_token(token):
                return self.answer(401, {"message": "Bad credentials"})
            return self.create(parts[1])
        if path == "/user/repos":
            if self.credential("token") != ARGS.user_token or not ARGS.user_token:
                return self.answer(401, {"message": "Bad credentials"})
            return self.create("tester")
        return self.answer(404, {"message": "Not Found"})

    def access_token(self, installation):
        jwt = self.credential("Bearer")
        why = verify_jwt(jwt) if jwt else "no JWT"
        if why:
            with LOCK:
                STATE["jwt_refused"] += 1
            return self.answer(401, {"message": "A JSON web token could not be decoded (%s)" % why})
        if installation != ARGS.installation_id:
            return self.answer(404, {"message": "Not Found"})
        with LOCK:
            if STATE["bad_json"] > 0:
                STATE["bad_json"] -= 1
                return self.answer(201, b'{"token": "ghs_truncated')
            expired = STATE["expired"] > 0
            if expired:
                STATE["expired"] -= 1
            token = "ghs_" + secrets.token_hex(20)
            lifetime = STATE["token_lifetime"] or ARGS.token_lifetime
            expiry = time.time() + (-120 if expired else lifetime)
            STATE["tokens"][token] = expiry
            STATE["issued"] += 1
        with open(ARGS.issued_file, "a", encoding="ascii") as f:
            f.write(token + "\n")
        return self.answer(201, {"token": token, "expires_at": iso(expiry),
                                 "permissions": {"contents": "write", "metadata": "read"}})

    def create(self, owner):
        name = str(self.body().get("name", ""))
        if not name or "/" in name or name.startswith("."):
            return self.answer(422, {"message": "Validation Failed"})
        repo_dir = os.path.join(STATE["repos_dir"], name + ".git")
        if os.path.exists(repo_dir):
            return self.answer(422, {"message": "Repository creation failed.",
                                     "errors": [{"message": "name already exists on this account"}]})
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", repo_dir], check=True)
        subprocess.run(["git", "--git-dir", repo_dir, "config", "http.receivepack", "true"], check=True)
        return self.answer(201, self.repo(owner, name))


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--installation-id", required=True)
    parser.add_argument("--public-key", required=True)
    parser.add_argument("--token-lifetime", type=float, default=4.0)
    parser.add_argument("--static-token", default="")
    parser.add_argument("--user-token", default="")
    parser.add_argument("--issued-file", required=True)
    ARGS = parser.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
