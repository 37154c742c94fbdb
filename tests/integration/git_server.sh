# shellcheck shell=bash
# A real smart-HTTP git server for the remote tests (sourced after lib.sh): nginx (Debian's
# nginx-light) + fcgiwrap + git http-backend, over HTTPS with a CA made here, basic auth, and a
# post-receive hook that sends every subscriber a GitHub-format, HMAC-signed `push` webhook,
# so a push by any client (histfs, stock git) reaches the others as GitHub would deliver it.
#
#   git_server_start            generate the CA, certs, htpasswd and config; start nginx and fcgiwrap
#   git_server_create_repo NAME make GS_ROOT/NAME.git (bare, branch main, webhook hook); prints its URL
#   git_server_subscribe NAME URL   deliver NAME's push webhooks to URL as well
#   git_server_stop / git_server_restart    for outage tests (restart keeps ports, certs and repos)
#   gs_git ARGS...              stock git with the CA and the token, for pushing as another client
#
# Git LFS: <repo>.git/info/lfs/ goes to lfs_server.py (the batch API and basic transfer, behind the
# same auth), which keeps objects in the bare repo's lfs/objects; a number in GS_DIR/lfs-faults/upload-500
# makes that many uploads fail with 500.
#
# After git_server_start: GS_URL (https://localhost:PORT), GS_HTTP_URL (plain http), GS_TOKEN,
# GS_TOKEN_FILE, GS_CA (the CA cert), GS_BUNDLE (CA + system roots: for git.caFile, which replaces
# libgit2's roots), GS_SECRET_FILE (the webhook secret), GS_ROOT (the bare repos), GS_DIR.
# The EXIT trap stops the server (only the processes started here, by pid) before lib.sh's cleanup.

GS_DIR="" GS_ROOT="" GS_PORT="" GS_HTTP_PORT="" GS_URL="" GS_HTTP_URL="" GS_CA="" GS_BUNDLE=""
GS_TOKEN="" GS_TOKEN_FILE="" GS_SECRET="" GS_SECRET_FILE="" GS_NGINX_PID="" GS_FCGI_PID=""
GS_LFS_PORT="" GS_LFS_PID=""
GS_LFS_SERVER=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lfs_server.py
GS_USER=x-access-token
GS_BG_PIDS=() # other background helpers of the test (watchers...): killed at exit

git_server_require() {
  local missing=() tool
  for tool in nginx fcgiwrap openssl curl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  [ -x /usr/lib/git-core/git-http-backend ] || missing+=(git-http-backend)
  ((${#missing[@]} == 0)) || fail "the test git server needs ${missing[*]}: run tools/install-deps"
}

# A TCP port nobody listens on now (the kernel's pick for port 0).
free_port() {
  "$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

git_server_make_certs() {
  local d=$GS_DIR/tls
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$d/ca.key" -out "$d/ca.crt" -subj "/CN=histfs test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>"$d/openssl.err" || fail "openssl: cannot make the test CA: $(cat "$d/openssl.err")"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$d/server.key" -out "$d/server.csr" -subj "/CN=localhost" 2>"$d/openssl.err" ||
    fail "openssl: cannot make the server key: $(cat "$d/openssl.err")"
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1" >"$d/server.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
    -extfile "$d/server.ext" -out "$d/server.crt" 2>"$d/openssl.err" ||
    fail "openssl: cannot sign the server cert: $(cat "$d/openssl.err")"
  GS_CA=$d/ca.crt
  GS_BUNDLE=$d/bundle.crt
  cat "$GS_CA" /etc/ssl/certs/ca-certificates.crt >"$GS_BUNDLE" 2>/dev/null || cat "$GS_CA" >"$GS_BUNDLE"
}

# Basic auth from the htpasswd, or, when GS_AUTH_URL is set (before git_server_start), whatever that
# URL answers nginx's auth_request (the GitHub API fixture: only currently valid App tokens).
git_server_auth_lines() {
  if [ -z "${GS_AUTH_URL:-}" ]; then
    printf '      auth_basic "histfs test git";\n      auth_basic_user_file %s/htpasswd;\n' "$GS_DIR"
  else
    printf '      auth_request /_histfs_auth;\n'
  fi
}
git_server_auth_location() {
  [ -n "${GS_AUTH_URL:-}" ] || return 0
  printf '    location = /_histfs_auth {\n      internal;\n      proxy_pass %s;\n' "$GS_AUTH_URL"
  printf '      proxy_pass_request_body off;\n      proxy_set_header Content-Length "";\n    }\n'
}

git_server_write_config() {
  mkdir -p "$GS_DIR/tmp"
  # Workers run as root too: they read the htpasswd and talk to fcgiwrap's socket in this 0700 dir.
  cat >"$GS_DIR/nginx.conf" <<EOF
user root;
daemon off;
worker_processes 1;
pid $GS_DIR/nginx.pid;
error_log $GS_DIR/nginx-error.log warn;
events { worker_connections 256; }
http {
  access_log $GS_DIR/access.log;
  client_body_temp_path $GS_DIR/tmp/body;
  fastcgi_temp_path $GS_DIR/tmp/fastcgi;
  proxy_temp_path $GS_DIR/tmp/proxy;
  client_max_body_size 0;
  server {
    listen 127.0.0.1:$GS_PORT ssl;
    listen 127.0.0.1:$GS_HTTP_PORT;
    server_name localhost;
    ssl_certificate $GS_DIR/tls/server.crt;
    ssl_certificate_key $GS_DIR/tls/server.key;
    location ~ ^/[^/]+\.git/info/lfs/ {
$(git_server_auth_lines)
      proxy_pass http://127.0.0.1:$GS_LFS_PORT;
      proxy_http_version 1.1;
      proxy_request_buffering off;
      proxy_buffering off;
      proxy_set_header Host \$http_host;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_read_timeout 120s;
    }
$(git_server_auth_location)
    location / {
$(git_server_auth_lines)
      include /etc/nginx/fastcgi_params;
      fastcgi_pass unix:$GS_DIR/fcgiwrap.sock;
      fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;
      fastcgi_param GIT_PROJECT_ROOT $GS_ROOT;
      fastcgi_param GIT_HTTP_EXPORT_ALL "";
      fastcgi_param PATH_INFO \$uri;
      fastcgi_param REMOTE_USER \$remote_user;
      fastcgi_param PATH /usr/bin:/bin;
      fastcgi_param HOME $GS_DIR;
      fastcgi_read_timeout 120s;
    }
  }
}
EOF
}

# The post-receive hook: one signed GitHub `push` delivery per updated ref, to each subscriber.
git_server_write_hook() {
  cat >"$GS_DIR/post-receive" <<'EOF'
#!/bin/bash
# Sends a GitHub-format push webhook for each updated ref to every URL in the repo's subscriber file.
export PATH=/usr/bin:/bin
repo_dir=$(cd "${GIT_DIR:-.}" && pwd)
name=$(basename "$repo_dir" .git)
gs_dir=$(git config --file "$repo_dir/config" histfs-test.serverDir)
subscribers=$gs_dir/subscribers/$name
secret=$(cat "$gs_dir/webhook-secret")
zero=0000000000000000000000000000000000000000
while read -r old new ref; do
  created=false deleted=false forced=false
  [ "$old" = "$zero" ] && created=true
  [ "$new" = "$zero" ] && deleted=true
  if [ "$created" = false ] && [ "$deleted" = false ] && ! git merge-base --is-ancestor "$old" "$new" 2>/dev/null; then
    forced=true
  fi
  head_commit=null
  [ "$deleted" = true ] || head_commit="{\"id\":\"$new\",\"message\":\"$(git log -1 --format=%s "$new" | tr -d '"\\')\"}"
  body=$(printf '{"ref":"%s","before":"%s","after":"%s","created":%s,"deleted":%s,"forced":%s,"commits":[],"head_commit":%s,"repository":{"name":"%s","full_name":"histfs-test/%s","default_branch":"main","created_at":1700000000,"pushed_at":%s},"pusher":{"name":"%s"}}' \
    "$ref" "$old" "$new" "$created" "$deleted" "$forced" "$head_commit" "$name" "$name" "$(date +%s)" "${REMOTE_USER:-git}")
  signature=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" -r | cut -d' ' -f1)
  [ -f "$subscribers" ] || continue
  while read -r url; do
    [ -n "$url" ] || continue
    id=$(cat /proc/sys/kernel/random/uuid)
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "$url" \
      -H 'Content-Type: application/json' -H 'User-Agent: GitHub-Hookshot/histfs-test' \
      -H 'X-GitHub-Event: push' -H "X-GitHub-Delivery: $id" -H 'X-GitHub-Hook-ID: 1' \
      -H "X-Hub-Signature-256: sha256=$signature" --data-binary "$body") || true
    echo "$(date -u +%FT%TZ) $name $ref ${old:0:12}..${new:0:12} -> $url: $code ($id)" >>"$gs_dir/deliveries.log"
  done <"$subscribers"
done
exit 0
EOF
  chmod 755 "$GS_DIR/post-receive"
}

# Is the server answering (401 without credentials is the right answer)?
git_server_up() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$GS_CA" "$GS_URL/") || return 1
  [ "$code" = 401 ]
}

git_server_start() {
  git_server_require
  require_python
  if [ -z "$GS_DIR" ]; then
    GS_DIR=$(mktemp -d /tmp/histfs-gitserver.XXXXXX)
    WORKSPACES+=("$GS_DIR")
    GS_ROOT=$GS_DIR/repos
    mkdir -p "$GS_ROOT" "$GS_DIR/subscribers"
    GS_PORT=$(free_port) GS_HTTP_PORT=$(free_port) GS_LFS_PORT=$(free_port)
    mkdir -p "$GS_DIR/lfs-faults"
    # shellcheck disable=SC2034 # read by the tests that source this file
    GS_URL=https://localhost:$GS_PORT GS_HTTP_URL=http://127.0.0.1:$GS_HTTP_PORT
    git_server_make_certs
    GS_TOKEN=tok-$(openssl rand -hex 20)
    GS_TOKEN_FILE=$GS_DIR/token
    printf '%s\n' "$GS_TOKEN" >"$GS_TOKEN_FILE"
    chmod 600 "$GS_TOKEN_FILE"
    local hash
    hash=$(openssl passwd -apr1 "$GS_TOKEN")
    printf '%s:%s\ntester:%s\n' "$GS_USER" "$hash" "$hash" >"$GS_DIR/htpasswd"
    GS_SECRET=secret-$(openssl rand -hex 12)
    GS_SECRET_FILE=$GS_DIR/webhook-secret
    printf '%s\n' "$GS_SECRET" >"$GS_SECRET_FILE"
    git_server_write_config
    git_server_write_hook
  fi
  rm -f "$GS_DIR/fcgiwrap.sock"
  # Its own session (process group): fcgiwrap's workers go with it at stop.
  setsid fcgiwrap -c 4 -s "unix:$GS_DIR/fcgiwrap.sock" </dev/null >>"$GS_DIR/fcgiwrap.log" 2>&1 &
  GS_FCGI_PID=$!
  setsid nginx -p "$GS_DIR" -c "$GS_DIR/nginx.conf" </dev/null >>"$GS_DIR/nginx.out" 2>&1 &
  GS_NGINX_PID=$!
  setsid "$PY" "$GS_LFS_SERVER" "$GS_LFS_PORT" "$GS_ROOT" "$GS_DIR/lfs-faults" </dev/null >>"$GS_DIR/lfs-server.log" 2>&1 &
  GS_LFS_PID=$!
  for _ in $(seq 100); do
    [ -S "$GS_DIR/fcgiwrap.sock" ] && git_server_up && curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$GS_LFS_PORT/" &&
      return 0
    alive "$GS_NGINX_PID" || fail "nginx exited at start: $(cat "$GS_DIR/nginx.out" "$GS_DIR/nginx-error.log" 2>/dev/null)"
    alive "$GS_FCGI_PID" || fail "fcgiwrap exited at start: $(cat "$GS_DIR/fcgiwrap.log")"
    alive "$GS_LFS_PID" || fail "the LFS server exited at start: $(cat "$GS_DIR/lfs-server.log")"
    sleep 0.1
  done
  fail "the test git server did not come up on $GS_URL within 10 s: $(cat "$GS_DIR/nginx-error.log" 2>/dev/null)"
}

# Stop one process group we started (its leader is $1) and wait for the leader to go.
gs_kill_group() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    alive "$pid" || break
    sleep 0.1
  done
  if alive "$pid"; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}

# Stop nginx and fcgiwrap (the ones started here); the repos, certs and ports stay for a restart.
git_server_stop() {
  gs_kill_group "$GS_NGINX_PID"
  gs_kill_group "$GS_FCGI_PID"
  gs_kill_group "$GS_LFS_PID"
  GS_NGINX_PID="" GS_FCGI_PID="" GS_LFS_PID=""
  for _ in $(seq 50); do
    git_server_up || return 0
    sleep 0.1
  done
  fail "the test git server still answers after stop"
}

git_server_restart() {
  git_server_stop
  git_server_start
}

# git_server_create_repo NAME: an empty bare repo (HEAD main) with the webhook hook; prints its https URL.
git_server_create_repo() {
  local name=$1 dir=$GS_ROOT/$1.git
  git init -q --bare -b main "$dir" || fail "cannot create the bare repo $dir"
  git --git-dir "$dir" config histfs-test.serverDir "$GS_DIR"
  git --git-dir "$dir" config http.receivepack true
  ln -sf "$GS_DIR/post-receive" "$dir/hooks/post-receive"
  : >"$GS_DIR/subscribers/$name"
  echo "$GS_URL/$name.git"
}

# git_server_subscribe NAME URL: NAME's pushes are also delivered to URL.
git_server_subscribe() { echo "$2" >>"$GS_DIR/subscribers/$1"; }

# git of the bare repo NAME on the server side (no hooks, no network): for checking what it holds.
gs_repo() {
  local name=$1
  shift
  git --git-dir "$GS_ROOT/$name.git" "$@"
}
# remote_main NAME: the server repo NAME's main commit, or none.
remote_main() { gs_repo "$1" rev-parse -q --verify refs/heads/main 2>/dev/null || echo none; }

# Stock git as another client of the server: trusts the test CA, sends the token.
# (GIT_SSL_CAINFO, not http.sslCAInfo: a GIT_SSL_CAINFO in the environment would win over the config.)
gs_git() {
  GIT_SSL_CAINFO=$GS_CA git \
    -c http.extraHeader="Authorization: Basic $(printf '%s:%s' "$GS_USER" "$GS_TOKEN" | base64 -w0)" \
    -c user.name="stock git" -c user.email="git@example.invalid" -c init.defaultBranch=main "$@"
}

git_server_exit() {
  local rc=$? pid
  set +e
  for pid in "${GS_BG_PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  if [ -n "$GS_NGINX_PID$GS_FCGI_PID$GS_LFS_PID" ]; then
    gs_kill_group "$GS_NGINX_PID"
    gs_kill_group "$GS_FCGI_PID"
    gs_kill_group "$GS_LFS_PID"
  fi
  (exit "$rc")
  cleanup
}
trap git_server_exit EXIT
