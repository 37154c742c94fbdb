#!/usr/bin/env bash
# The daemon's webhook server, driven with curl and raw sockets: GitHub's published signature test
# vectors, missing and wrong signatures (401), malformed bodies (400), truncated and oversized
# bodies, JSON and form-encoded ping/push deliveries (a real push to the mount's file:// remote is
# fetched into the mount), other events, branches and repositories (202, ignored), duplicates,
# our own HEAD, slow clients cut off after ~10 s while others are served, /healthz, and the same
# over HTTPS (git.webhook.tlsCert/tlsKey). Afterwards the mount still works and the daemon lives.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/git_server.sh" # for git_server_make_certs and the exit trap; no server is started
require_fuse
require_python
cd /

# The published vectors (GitHub's "Validating webhook deliveries").
SECRET1="It's a Secret to Everybody" BODY1="Hello, World!"
SIG1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17
SECRET2="mysecret" BODY2='{"foo":"bar"}'
SIG2=4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3
flip_hex() { # the same digest with its first hex digit changed
  local first=${1:0:1} other=0
  [ "$first" = 0 ] && other=1
  echo "$other${1:1}"
}
hmac() { openssl dgst -sha256 -hmac "$1" -r "$2" | cut -d' ' -f1; } # hmac SECRET FILE

# post URL EVENT BODYFILE [ID] [SIGNATURE|-] [CONTENT-TYPE] [CURL ARGS...]: POST a delivery; the status code
# goes to CODE, the answer's "message" to MESSAGE, the time taken (s) to TOOK. SIGNATURE "-" sends none;
# an empty one is computed with $SECRET.
CODE="" MESSAGE="" TOOK=""
post() {
  local url=$1 event=$2 body=$3 id=${4:-$(cat /proc/sys/kernel/random/uuid)} sig=${5:-} ct=${6:-application/json}
  shift 6 2>/dev/null || shift $#
  local headers=(-H "Content-Type: $ct" -H "X-GitHub-Delivery: $id" -H "User-Agent: GitHub-Hookshot/test")
  [ -z "$event" ] || headers+=(-H "X-GitHub-Event: $event")
  [ -n "$sig" ] || sig=$(hmac "$SECRET" "$body")
  [ "$sig" = - ] || headers+=(-H "X-Hub-Signature-256: sha256=$sig")
  local out
  out=$(curl -s -o "$T/answer" -w '%{http_code} %{time_total}' --max-time 20 "${headers[@]}" \
    --data-binary "@$body" "$@" "$url") || fail "curl POST $url failed (exit $?)"
  CODE=${out% *} TOOK=${out#* }
  MESSAGE=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("message", ""))' "$T/answer" 2>/dev/null ||
    echo "<not JSON: $(head -c 200 "$T/answer")>")
}
# expect CODE [MESSAGE-PREFIX]: the last post's answer.
expect() {
  [ "$CODE" = "$1" ] || fail "expected HTTP $1${2:+ ($2...)}, got $CODE: $MESSAGE"
  [ -z "${2:-}" ] || [[ "$MESSAGE" == "$2"* ]] || fail "expected a message starting '$2', got '$MESSAGE' (HTTP $CODE)"
}
# expect_later: like expect, for checks later steps do not depend on.
expect_later() {
  if [ "$CODE" != "$1" ] || { [ -n "${2:-}" ] && [[ "$MESSAGE" != "$2"* ]]; }; then
    fail_later "expected HTTP $1${2:+ '$2...'}, got $CODE: $MESSAGE"
  fi
}
body() { printf '%s' "$2" >"$T/$1" && echo "$T/$1"; } # body NAME TEXT: a body file, no newline added
push_payload() {                                        # push_payload REF AFTER REPO
  printf '{"ref":"%s","before":"%s","after":"%s","created":false,"deleted":false,"forced":false,"commits":[],"head_commit":{"id":"%s"},"repository":{"name":"%s","full_name":"%s","default_branch":"main","created_at":1700000000,"pushed_at":1700000001},"pusher":{"name":"test"}}' \
    "$1" 0000000000000000000000000000000000000000 "$2" "$2" "${3#*/}" "$3"
}
healthz() { # healthz URL [CURL ARGS...]: GET /healthz must answer 200 with JSON status ok
  local url=$1 code
  shift
  code=$(curl -s -o "$T/health" -w '%{http_code}' --max-time 5 "$@" "$url") || fail "GET $url failed"
  [ "$code" = 200 ] || fail "GET $url answered $code"
  [ "$(json_get "$T/health" 'j["status"]')" = ok ] || fail "healthz body: $(cat "$T/health")"
}

# raw_http PORT MODE: speak HTTP by hand. MODE truncated: a body shorter than its Content-Length,
# then close; oversized: only a header saying 30000000 bytes, print the status line and the
# seconds it took; slow: half a header, then nothing: print the seconds until the server hangs up.
raw_http() {
  "$PY" - "$@" <<'PYEOF'
import socket, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=30)
start = time.monotonic()
head = "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nX-GitHub-Event: ping\r\nContent-Type: application/json\r\n"
if mode == "truncated":
    s.sendall((head + "X-Hub-Signature-256: sha256=" + "0" * 64 + "\r\nContent-Length: 100\r\n\r\n{\"zen\":").encode())
    s.close()
    print("sent")
elif mode == "oversized":
    s.sendall((head + "X-Hub-Signature-256: sha256=" + "0" * 64 + "\r\nContent-Length: 30000000\r\n\r\n").encode())
    answer = b""
    while b"\r\n" not in answer:
        chunk = s.recv(4096)
        if not chunk:
            break
        answer += chunk
    print(answer.split(b"\r\n")[0].decode(errors="replace") or "<closed>", round(time.monotonic() - start, 2))
elif mode == "trickle":
    # A whole header, then the body one byte a second: the 10 s limit is for the whole request.
    s.sendall((head + "X-Hub-Signature-256: sha256=" + "0" * 64 + "\r\nContent-Length: 1000\r\n\r\n").encode())
    s.settimeout(1)
    while True:
        try:
            if s.recv(4096) == b"":
                break
        except socket.timeout:
            try:
                s.sendall(b" ")
            except OSError:
                break
        except ConnectionResetError:
            break
        if time.monotonic() - start > 30:
            break
    print(round(time.monotonic() - start, 2))
elif mode == "slow":
    s.sendall(b"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nX-GitHub-Ev")
    try:
        while s.recv(4096):
            pass
    except (ConnectionResetError, socket.timeout):
        pass
    print(round(time.monotonic() - start, 2))
PYEOF
}

# =============================================================================================
step "a mount connected to a file:// remote, with a webhook server (secret: vector 1, repository histfs-test/notes)"
new_workspace
echo "hello" >"$DATA/a.md"
printf '%s\n' "$SECRET1" >"$T/secret"
SECRET=$SECRET1
mount_histfs --set "git.webhook.secretFile=$T/secret" --set git.webhook.listen=127.0.0.1:0 \
  --set git.webhook.repository=histfs-test/notes --set git.fetchInterval=10m --set git.autoPushInterval=1s
REMOTE=$T/remote.git
git init -q --bare -b main "$REMOTE"
cli_ok connect --mount "$MNT" --remote "file://$REMOTE"
PORT=$(webhook_port)
URL=http://127.0.0.1:$PORT/webhook
HEALTH=http://127.0.0.1:$PORT/healthz
healthz "$HEALTH"
[ "$(json_get "$T/health" 'j["head"]')" = "$(git_h rev-parse HEAD)" ] || fail "healthz head: $(cat "$T/health")"

step "slow clients (half a header, then silence) are started; they must be cut off in ~10 s"
slow_pids=()
for i in 1 2 3 4; do
  mode=slow
  [ "$i" != 4 ] || mode=trickle
  raw_http "$PORT" "$mode" >"$T/slow.$i" 2>&1 &
  slow_pids+=($!)
  GS_BG_PIDS+=($!)
done
slow_started=$SECONDS

step "published test vector 1 as a signed ping: 200; one hex digit changed: 401"
[ "$(hmac "$SECRET1" "$(body v1 "$BODY1")")" = "$SIG1" ] || fail "openssl does not reproduce test vector 1"
post "$URL" ping "$T/v1" "" "$SIG1"
echo "(vector 1 as a ping: HTTP $CODE, $MESSAGE)"
[ "$CODE" != 401 ] || fail "the signature of test vector 1 was refused: $MESSAGE"
expect_later 200
post "$URL" ping "$T/v1" "" "$(flip_hex "$SIG1")"
expect 401
post "$URL" ping "$(body ping.json '{"zen":"Keep it logically awesome.","hook_id":1,"hook":{"type":"Repository"}}')"
expect 200 pong

step "missing signature, wrong secret, empty or malformed signature header: 401"
post "$URL" ping "$T/ping.json" "" -
expect 401
post "$URL" ping "$T/ping.json" "" "$(hmac "another secret" "$T/ping.json")"
expect 401
post "$URL" ping "$T/ping.json" "" "zz${SIG1:2}"
expect 401
post "$URL" ping "$T/ping.json" "" "${SIG1:0:40}"
expect 401

step "signed garbage JSON: 400; signed but no event header: 400"
post "$URL" push "$(body garbage '{"ref": "refs/heads/main", "after": ')"
expect 400
post "$URL" push "$(body notjson 'this is not json at all')"
expect 400
post "$URL" "" "$T/ping.json"
expect 400
post "$URL" push "$T/ping.json" "" "" "application/x-www-form-urlencoded"
expect 400 # a form body must be payload=... (a signed ping is answered whatever its body)

step "a truncated body (Content-Length larger than sent, then close): no crash"
raw_http "$PORT" truncated >/dev/null || fail "the truncated request could not be sent"
healthz "$HEALTH"

step "Content-Length: 30000000: 413 at once, the body never read"
oversized=$(raw_http "$PORT" oversized)
[[ "$oversized" == "HTTP/1.1 413"* ]] || fail "oversized request answered: $oversized"
took=${oversized##* }
"$PY" -c "import sys; sys.exit(0 if float('$took') < 2 else 1)" || fail "the 413 took $took s"

step "a push to main of histfs-test/notes (JSON): 202 and a fetch that brings the commit into the mount"
clone=$T/clone
git clone -q "file://$REMOTE" "$clone" 2>/dev/null
gitc() { git -C "$clone" -c user.name=other -c user.email=other@example.invalid "$@"; }
echo "pushed elsewhere" >"$clone/pushed.md"
gitc add pushed.md && gitc commit -qm "pushed elsewhere" && gitc push -q origin main 2>/dev/null
after1=$(git --git-dir "$REMOTE" rev-parse main)
post "$URL" push "$(body push1.json "$(push_payload refs/heads/main "$after1" histfs-test/notes)")" dup-1
expect 202 fetching
wait_for "pushed.md arrives in the mount" eval '[ "$(cat "$MNT/pushed.md" 2>/dev/null)" = "pushed elsewhere" ]'
wait_for "HEAD is the pushed commit" eval '[ "$(git_h rev-parse HEAD)" = "$after1" ]'
cli_ok status --mount "$MNT" --json
[ "$(json_get "$T/cli.out" 'j["remote"]["last_webhook"] is not None')" = true ] || fail "status has no last_webhook"

step "the same delivery id again: 202 duplicate, nothing done twice"
fetches=$(grep -c "git_pull" "$LOG" || true)
post "$URL" push "$T/push1.json" dup-1
expect 202 duplicate
post "$URL" push "$T/push1.json" dup-1
expect 202 duplicate

step "a push whose after is already our HEAD: 202, nothing to do"
post "$URL" push "$T/push1.json"
expect 202 "already have"
sleep 0.5 # (a fetch would have been started at once)
[ "$(grep -c "git_pull" "$LOG" || true)" = "$fetches" ] || fail "a duplicate or our own HEAD caused a pull"

step "form-encoded ping and push (payload=urlencoded JSON): 200, and 202 with a fetch"
form() { # form NAME JSON-FILE: a payload=<urlencoded> body
  "$PY" -c 'import sys, urllib.parse; sys.stdout.write("payload=" + urllib.parse.quote_plus(open(sys.argv[1]).read()))' "$2" >"$T/$1"
  echo "$T/$1"
}
post "$URL" ping "$(form ping.form "$T/ping.json")" "" "" "application/x-www-form-urlencoded"
expect 200 pong
echo "form push" >"$clone/form.md"
gitc add form.md && gitc commit -qm "form push" && gitc push -q origin main 2>/dev/null
after2=$(git --git-dir "$REMOTE" rev-parse main)
push_payload refs/heads/main "$after2" histfs-test/notes >"$T/push2.json"
post "$URL" push "$(form push2.form "$T/push2.json")" "" "" "application/x-www-form-urlencoded"
expect 202 fetching
wait_for "form.md arrives in the mount" eval '[ "$(cat "$MNT/form.md" 2>/dev/null)" = "form push" ]'

step "other events, branches and repositories: 202, ignored"
echo "not fetched" >"$clone/later.md"
gitc add later.md && gitc commit -qm later && gitc push -q origin main 2>/dev/null
after3=$(git --git-dir "$REMOTE" rev-parse main)
fetches=$(grep -c "git_pull" "$LOG" || true)
post "$URL" issues "$(body issue.json '{"action":"opened","issue":{"number":1},"repository":{"full_name":"histfs-test/notes"}}')"
expect 202 ignored
post "$URL" push "$(body dev.json "$(push_payload refs/heads/dev "$after3" histfs-test/notes)")"
expect 202 ignored
post "$URL" push "$(body tag.json "$(push_payload refs/tags/v1 "$after3" histfs-test/notes)")"
expect 202 ignored
post "$URL" push "$(body other.json "$(push_payload refs/heads/main "$after3" someone/else)")"
expect 202 ignored
sleep 0.5 # (a fetch would have been started at once)
[ "$(grep -c "git_pull" "$LOG" || true)" = "$fetches" ] || fail "an ignored delivery caused a pull"
[ ! -e "$MNT/later.md" ] || fail "later.md was fetched on an ignored delivery"

step "GET /healthz 200, GET /webhook 405, unknown path 404"
healthz "$HEALTH"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL")
[ "$code" = 405 ] || fail "GET /webhook answered $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT/nope")
[ "$code" = 404 ] || fail "GET /nope answered $code"
for pid in "${slow_pids[@]}"; do alive "$pid" || fail "a slow client ended before the other requests were done"; done

# =============================================================================================
step "HTTPS webhook server (tlsCert/tlsKey) with test vector 2 as the secret"
MAIN_T=$T MAIN_DATA=$DATA MAIN_MNT=$MNT MAIN_LOG=$LOG MAIN_PID=$DAEMON_PID MAIN_GITDIR=$GITDIR
GS_DIR=$(mktemp -d /tmp/histfs-webhook-tls.XXXXXX)
WORKSPACES+=("$GS_DIR")
git_server_make_certs
new_workspace
echo "tls" >"$DATA/t.md"
printf '%s\n' "$SECRET2" >"$T/secret"
SECRET=$SECRET2
mount_histfs --set "git.webhook.secretFile=$T/secret" --set git.webhook.listen=127.0.0.1:0 \
  --set "git.webhook.tlsCert=$GS_DIR/tls/server.crt" --set "git.webhook.tlsKey=$GS_DIR/tls/server.key"
grep -q "webhook server listening on https://" "$LOG" || fail "the log does not say the webhook server is https"
TPORT=$(webhook_port)
TURL=https://127.0.0.1:$TPORT/webhook
healthz "https://127.0.0.1:$TPORT/healthz" --cacert "$GS_CA"
[ "$(hmac "$SECRET2" "$(body v2 "$BODY2")")" = "$SIG2" ] || fail "openssl does not reproduce test vector 2"
post "$TURL" ping "$T/v2" "" "$SIG2" application/json --cacert "$GS_CA"
expect 200 pong
post "$TURL" ping "$T/v2" "" "$(flip_hex "$SIG2")" application/json --cacert "$GS_CA"
expect 401
post "$TURL" ping "$T/v2" "" - application/json --cacert "$GS_CA"
expect 401
post "$TURL" push "$(body tlspush.json "$(push_payload refs/heads/main "$(git_h rev-parse HEAD | tr 0-9a-f 1-9a-f0)" a/b)")" "" "" \
  application/json --cacert "$GS_CA"
expect 202 # a push for a mount with no remote: answered, logged, nothing else
wait_for "the log says no remote is connected" grep -q "no remote is connected" "$LOG"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$TPORT/healthz" || true)
[ "$code" != 200 ] || fail "plain http to the https webhook server answered 200"
curl -s -o /dev/null --max-time 5 "https://127.0.0.1:$TPORT/healthz" 2>/dev/null &&
  fail "curl trusted the webhook server's certificate without the test CA"
healthz "https://127.0.0.1:$TPORT/healthz" --cacert "$GS_CA"
alive "$DAEMON_PID" || fail "the https webhook daemon died"

# =============================================================================================
T=$MAIN_T DATA=$MAIN_DATA MNT=$MAIN_MNT LOG=$MAIN_LOG DAEMON_PID=$MAIN_PID GITDIR=$MAIN_GITDIR
step "the slow clients were cut off after ~10 s (others were served meanwhile)"
for i in "${!slow_pids[@]}"; do
  wait "${slow_pids[$i]}" || fail "slow client $((i + 1)) failed: $(cat "$T/slow.$((i + 1))")"
done
for i in 1 2 3 4; do
  took=$(cat "$T/slow.$i")
  "$PY" -c "import sys; sys.exit(0 if 9 <= float('$took') <= 13 else 1)" ||
    fail "slow client $i was disconnected after $took s, expected ~10 s"
done
echo "(slow clients cut off after $(cat "$T"/slow.* | paste -sd" ") s; started at ${slow_started}s)"

step "after all of it the daemon is alive and the mount still versions changes"
alive "$DAEMON_PID" || fail "the daemon died"
healthz "$HEALTH"
echo "still works" >"$MNT/after.md"
wait_synced
assert_in_head after.md pushed.md form.md
assert_fsck
finish "webhook server in ${SECONDS}s"
