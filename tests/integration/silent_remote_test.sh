#!/usr/bin/env bash
# Issue 7 items 7 and 8: a remote that accepts and never answers, and one that redirects elsewhere.
#  - connect to a silent remote fails after git.networkTimeout with a clear error;
#  - status answers while the remote sync waits on a silent remote, and `histfs push` gives up;
#  - an unmount ends the daemon within seconds whatever the remote does (the git dir is free again);
#  - a remote that answers with a redirect to another host never gets our token sent there.
source "$(dirname "$0")/lib.sh"
require_fuse
require_python
cd /

# A TCP server on 127.0.0.1 (MODE silent: accept and never answer; MODE redirect: 401 until
# credentials come, then 302 to TARGET). Prints its port into $2; logs requests into $3.
serve() {
  "$PY" - "$@" <<'PYEOF' &
import socket, sys, threading, time
mode, port_file, log_file = sys.argv[1], sys.argv[2], sys.argv[3]
target = sys.argv[4] if len(sys.argv) > 4 else ""
server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 0)); server.listen(64)
open(port_file, "w").write(str(server.getsockname()[1]))
held = []
def handle(conn):
    if mode == "silent":
        held.append(conn)  # accepted, never answered, never closed
        return
    data = b""
    conn.settimeout(10)
    try:
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk: return
            data += chunk
    except OSError:
        return
    with open(log_file, "ab") as log: log.write(data + b"\n----\n")
    if mode == "redirect" and b"authorization:" not in data.lower():
        conn.sendall(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    elif mode == "redirect":
        conn.sendall(("HTTP/1.1 302 Found\r\nLocation: " + target + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").encode())
    else:  # "log": any request is logged and refused
        conn.sendall(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    conn.close()
end = time.time() + 120
server.settimeout(1)
while time.time() < end:
    try:
        conn, _ = server.accept()
    except socket.timeout:
        continue
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
PYEOF
  SERVERS+=($!)
  wait_for "the $1 server's port" test -s "$2"
}
SERVERS=()
stop_servers() { for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; done; }

new_workspace
trap 'stop_servers; cleanup' EXIT
serve silent "$T/silent.port" "$T/silent.log"
SILENT=http://127.0.0.1:$(cat "$T/silent.port")/notes.git

step "connect to a silent remote fails after git.networkTimeout"
mount_histfs --set git.networkTimeout=2s
start=$SECONDS
cli connect --mount "$MNT" --remote "$SILENT"
[ "$CLI_RC" != 0 ] || fail "connect to a silent remote succeeded: $(cli_out)"
((SECONDS - start < 30)) || fail "connect took $((SECONDS - start)) s with git.networkTimeout=2s"
grep -q "networkTimeout" "$T/cli.err" || fail "the error does not name git.networkTimeout: $(cli_err)"
unmount_histfs

step "status answers and push gives up while the remote is silent"
mount_histfs --set git.networkTimeout=3s --set "git.repo=$SILENT"
echo note >"$MNT/a.md"
start=$SECONDS
cli_ok status --mount "$MNT"
((SECONDS - start < 3)) || fail "status took $((SECONDS - start)) s while the remote was silent"
cli push --mount "$MNT"
[ "$CLI_RC" != 0 ] || fail "push to a silent remote exited 0: $(cli_out)"
cli_ok status --mount "$MNT" --json
cp "$T/cli.out" "$T/status.json"
[ "$(json_get "$T/status.json" "j['remote']['last_error'] != ''")" = true ] || fail "status shows no remote error"
unmount_histfs

step "an unmount ends the daemon within seconds while a fetch waits on a silent remote"
mount_histfs --set "git.repo=$SILENT"  # the default timeout (60 s) must not delay the unmount
echo more >"$MNT/b.md"
cli_ok flush --mount "$MNT"
pid=$DAEMON_PID
start=$SECONDS
fusermount3 -u "$MNT"
wait_exit "$pid" || fail "the daemon was still running 15 s after the unmount"
DAEMON_PID=""
mount_histfs  # the git dir lock is free again
assert_in_head b.md
unmount_histfs

step "a redirect to another host never gets the token"
serve log "$T/other.port" "$T/other.log"
other="http://127.0.0.1:$(cat "$T/other.port")/elsewhere.git/info/refs?service=git-upload-pack"
serve redirect "$T/redirect.port" "$T/redirect.log" "$other"
echo "tok-$RANDOM-secret" >"$T/token"
mount_histfs --set git.networkTimeout=5s
cli connect --mount "$MNT" --remote "http://127.0.0.1:$(cat "$T/redirect.port")/notes.git" --token-file "$T/token"
[ "$CLI_RC" != 0 ] || fail "connect through an off-site redirect succeeded"
grep -q "Authorization" "$T/redirect.log" || fail "the test is broken: the remote never got credentials ($(cli_err))"
if [ -s "$T/other.log" ] && grep -qi "authorization" "$T/other.log"; then
  fail "the token went to the other host: $(grep -i authorization "$T/other.log")"
fi
finish "silent remotes time out, unmounts do not wait for them, tokens stay with their host"
