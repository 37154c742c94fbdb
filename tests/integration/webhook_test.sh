#!/usr/bin/env bash
# The daemon's webhook server, driven with curl and raw sockets: GitHub's published signature test
# vectors, missing and wrong signatures (401), malformed bodies (400), truncated and oversized
# bodies, JSON and form-encoded ping/push deliveries (a real push to the mount's file:// remote is
# fetched into the mount), other events, branches and repositories (202, ignored), duplicates,
# our own HEAD, slow clients cut off after ~10 s while others are served, /healthz, the same over
# HTTPS (git.webhook.tlsCert/tlsKey), headers that are not UTF-8 and push fields of the wrong type
# (400, answers and log escaped), and 80 concurrent unsigned 24 MB bodies (the daemon's memory stays
# within the body budget and comes back). Afterwards the mount still works and the daemon lives.
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
  # shellcheck disable=SC2034 # TOOK is for the steps that time an answer
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
# seconds it took; slow: half a header, then nothing; trickle: a header, then a body byte a second.
# slow and trickle print "connected" once their request is under way, and at the end the seconds until
# the server hung up and the monotonic clock then (compared with `monotonic` below).
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
    print("connected", flush=True)
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
    print(round(time.monotonic() - start, 2), time.monotonic())
elif mode == "slow":
    s.sendall(b"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nX-GitHub-Ev")
    print("connected", flush=True)
    try:
        while s.recv(4096):
            pass
    except (ConnectionResetError, socket.timeout):
        pass
    print(round(time.monotonic() - start, 2), time.monotonic())
PYEOF
}
monotonic() { "$PY" -c 'import time; print(time.monotonic())'; } # the clock the slow clients print

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

step "slow clients (half a header, then silence; a body a byte a second) do not hold up the others"
slow_pids=()
for i in 1 2 3 4; do
  mode=slow
  [ "$i" != 4 ] || mode=trickle
  raw_http "$PORT" "$mode" >"$T/slow.$i" 2>&1 &
  slow_pids+=($!)
  GS_BG_PIDS+=($!)
done
slow_connected() { for i in 1 2 3 4; do grep -q connected "$T/slow.$i" || return 1; done; }
wait_for "the slow clients are connected" slow_connected
# Served while all four are connected: checked against the times they were cut off (at the end of the
# test), so no step in between has to finish before the server's 10 s deadline, however busy the machine.
healthz "$HEALTH"
post "$URL" ping "$(body ping.json '{"zen":"Keep it logically awesome.","hook_id":1,"hook":{"type":"Repository"}}')"
expect 200 pong
served_during_slow=$(monotonic)

step "published test vector 1 as a signed ping: 200; one hex digit changed: 401"
[ "$(hmac "$SECRET1" "$(body v1 "$BODY1")")" = "$SIG1" ] || fail "openssl does not reproduce test vector 1"
post "$URL" ping "$T/v1" "" "$SIG1"
echo "(vector 1 as a ping: HTTP $CODE, $MESSAGE)"
[ "$CODE" != 401 ] || fail "the signature of test vector 1 was refused: $MESSAGE"
expect_later 200
post "$URL" ping "$T/v1" "" "$(flip_hex "$SIG1")"
expect 401
post "$URL" ping "$T/ping.json"
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

step "headers that are not UTF-8 (unsigned, so one captured body is enough): answered and logged escaped"
post "$URL" $'\xff\xfe\x09issues' "$T/issue.json" $'d-\xc3\x28\xa0'
expect 202 'ignored event \xff\xfe\x09issues'
[ "$(head -c 2000 "$T/answer" | "$PY" -c 'import sys; sys.stdin.buffer.read().decode("utf-8"); print("utf-8")')" = utf-8 ] ||
  fail "the answer is not UTF-8: $(cat -v "$T/answer")"
grep -qF 'webhook \xff\xfe\x09issues delivery d-\xc3(\xa0: 202 ignored event \xff\xfe\x09issues' "$LOG" ||
  fail "the log does not show the headers escaped: $(grep -a 'issues' "$LOG" | tail -n 2 | cat -v)"
echo "not utf-8 id" >"$clone/id.md"
gitc add id.md && gitc commit -qm "not utf-8 id" && gitc push -q origin main 2>/dev/null
push_payload refs/heads/main "$(git --git-dir "$REMOTE" rev-parse main)" histfs-test/notes >"$T/push-id.json"
post "$URL" push "$T/push-id.json" $'\xff\\id'
expect 202 fetching
wait_for "id.md arrives in the mount" eval '[ "$(cat "$MNT/id.md" 2>/dev/null)" = "not utf-8 id" ]'
post "$URL" push "$T/push-id.json" $'\xff\\id'
expect 202 'duplicate delivery \xff\\id'
cli_ok status --mount "$MNT" --json
json_valid "$T/cli.out" # (status --json after a delivery id that is not UTF-8)

step "signed pushes whose fields have the wrong type or are missing: 400, never a crash"
for payload in '{"ref":1,"after":"'"$after1"'","repository":{"full_name":"histfs-test/notes"}}' \
  '{"ref":"refs/heads/main","after":null,"repository":{"full_name":"histfs-test/notes"}}' \
  '{"ref":"refs/heads/main","after":"'"$after1"'","repository":[]}' \
  '{"ref":"refs/heads/main","after":"'"$after1"'","repository":{"full_name":["histfs-test/notes"]}}' \
  '{"ref":"refs/heads/main"}' '{}'; do
  post "$URL" push "$(body typed.json "$payload")"
  expect 400 "push without"
done
alive "$DAEMON_PID" || fail "the daemon died"
healthz "$HEALTH"

step "80 concurrent unsigned 24 MB bodies: all answered (401 or 503), memory within the body budget, given back"
slack_mib=0
! ldd "$HISTFS" | grep -Eq 'lib(asan|tsan)' || slack_mib=320 # a sanitizer's allocator keeps freed memory in quarantine
"$PY" - "$PORT" "$DAEMON_PID" "$slack_mib" <<'PYEOF' || fail "the daemon's memory was not bounded or not given back"
import select, socket, sys, threading, time
port, pid, slack = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) * 2**20
MiB, N, SIZE, BUDGET = 2**20, 80, 24 * 2**20, 64 * 2**20  # BUDGET: webhook::ServerOptions::body_budget
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
body = memoryview(b" " * SIZE)
base = peak = rss()
running = True
def sample():
    global peak
    while running:
        peak = max(peak, rss())
        time.sleep(0.005)
headers_sent = threading.Barrier(N)
statuses = [None] * N
def client(i):
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    s.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % SIZE)
    headers_sent.wait()  # every client is in the middle of its request before any body is sent
    s.setblocking(False)
    sent = 0
    while sent < SIZE:  # until the whole body is sent, or an answer (a refusal from the header) comes first
        readable, writable, _ = select.select([s], [s], [], 60)
        if readable or not writable:
            break
        try:
            sent += s.send(body[sent:sent + 256 * 1024])
        except BlockingIOError:
            pass
        except OSError:
            break
    s.setblocking(True)
    answer = b""
    try:
        while chunk := s.recv(65536):
            answer += chunk
    except OSError:
        pass
    if answer.startswith(b"HTTP/1.1 "):
        statuses[i] = int(answer[9:12])
sampler = threading.Thread(target=sample)
sampler.start()
clients = [threading.Thread(target=client, args=(i,)) for i in range(N)]
for c in clients:
    c.start()
for c in clients:
    c.join()
running = False
sampler.join()
end = time.monotonic() + 30
while rss() > base + 16 * MiB + slack and time.monotonic() < end:
    time.sleep(0.05)
after = rss()
answers = {s: statuses.count(s) for s in set(statuses)}
print(f"(answers {answers}; daemon resident {base // MiB} MiB before, {peak // MiB} MiB at most, {after // MiB} MiB after)")
ok = set(statuses) <= {401, 503} and answers.get(401, 0) >= 1
ok = ok and peak - base <= BUDGET + 48 * MiB + slack and after <= base + 16 * MiB + slack
sys.exit(0 if ok else 1)
PYEOF
alive "$DAEMON_PID" || fail "the daemon died"
healthz "$HEALTH"

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
step "the slow clients were cut off at the 10 s deadline, after the others were served"
for i in "${!slow_pids[@]}"; do
  wait "${slow_pids[$i]}" || fail "slow client $((i + 1)) failed: $(cat "$T/slow.$((i + 1))")"
done
for i in 1 2 3 4; do
  read -r took ended < <(tail -n 1 "$T/slow.$i")
  # Not before the deadline; after it, as soon as a busy machine runs the server's timer (the client gives up at 30 s).
  "$PY" -c "import sys; sys.exit(0 if 9 <= $took < 29 else 1)" ||
    fail "slow client $i was disconnected after $took s, expected the 10 s deadline"
  "$PY" -c "import sys; sys.exit(0 if $ended > $served_during_slow else 1)" ||
    fail "slow client $i was cut off before a ping and /healthz were served beside it"
done
echo "(slow clients cut off after $(for i in 1 2 3 4; do tail -n 1 "$T/slow.$i" | cut -d' ' -f1; done | paste -sd' ') s)"

step "after all of it the daemon is alive and the mount still versions changes"
alive "$DAEMON_PID" || fail "the daemon died"
healthz "$HEALTH"
echo "still works" >"$MNT/after.md"
wait_synced
assert_in_head after.md pushed.md form.md
assert_fsck
finish "webhook server in ${SECONDS}s"
