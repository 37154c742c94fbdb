#!/usr/bin/env bash
# Running histfs as a service, seen from outside (issue 11, items 3-5): log.format json writes one
# object a line whose git_commit, git_push, git_pull, git_conflict and webhook events carry their
# ids (the commit's Correlation-Id, the webhook's delivery id for the pull it caused); timestamps
# say their UTC offset; /metrics (on the webhook listener and on git.metrics.listen) passes
# `promtool check metrics` and its counters move with real work; SIGHUP reopens the log file and
# keeps the mount; `report --json` agrees with git log; a detached daemon with no log file still
# logs somewhere.
source "$(dirname "$0")/lib.sh"
require_fuse
require_python
command -v promtool >/dev/null || fail "promtool is missing (tools/install-deps installs Debian's prometheus)"
command -v curl >/dev/null || fail "curl is missing"
cd /

hmac() { openssl dgst -sha256 -hmac "$1" -r "$2" | cut -d' ' -f1; } # hmac SECRET FILE

# post_delivery EVENT BODYFILE ID: a signed delivery to the mount's webhook server; prints the status.
post_delivery() {
  curl -s -o "$T/answer" -w '%{http_code}' --max-time 20 -H "Content-Type: application/json" \
    -H "X-GitHub-Event: $1" -H "X-GitHub-Delivery: $3" -H "X-Hub-Signature-256: sha256=$(hmac "$SECRET" "$2")" \
    --data-binary "@$2" "http://127.0.0.1:$PORT/webhook"
}

# scrape URL FILE: GET /metrics into FILE; it must pass promtool's checks.
scrape() {
  local code
  code=$(curl -s -o "$2" -w '%{http_code}' --max-time 10 "$1") || fail "GET $1 failed"
  [ "$code" = 200 ] || fail "GET $1 answered $code: $(head -c 300 "$2")"
  promtool check metrics <"$2" >"$T/promtool.out" 2>&1 || fail "promtool check metrics: $(cat "$T/promtool.out")"
}

# metric FILE LINE-PREFIX: the value of the first sample that starts with LINE-PREFIX (0 if none).
metric() {
  awk -v prefix="$2 " 'index($0, prefix) == 1 { print $NF; found = 1; exit } END { if (!found) print 0 }' "$1"
}

# events NAME: the JSON log's lines of event NAME, one JSON object a line (every line must parse).
events() {
  "$PY" - "$LOG" "$1" <<'PYEOF'
import json, sys
for number, line in enumerate(open(sys.argv[1], encoding="utf-8", errors="strict"), 1):
    try:
        event = json.loads(line)
    except ValueError as error:
        sys.exit(f"line {number} of the log is not JSON ({error}): {line!r}")
    if event.get("event") == sys.argv[2]:
        print(json.dumps(event))
PYEOF
}
has_event() { # has_event NAME TEXT: an event NAME whose JSON holds TEXT (grep -q would cut the pipe short)
  events "$1" >"$T/events.out" && grep -qF -- "$2" "$T/events.out"
}
commits_above() { [ "$(commit_count)" -gt "$1" ]; }

# =============================================================================================
step "a mount with JSON logs, a file:// remote, a webhook server and a metrics listener"
new_workspace
echo "hello" >"$DATA/a.md"
SECRET=observability-secret
printf '%s\n' "$SECRET" >"$T/secret"
REMOTE=$T/remote.git
git init -q --bare -b main "$REMOTE"
mount_histfs --set log.format=json --set "git.repo=file://$REMOTE" --set "git.webhook.secretFile=$T/secret" \
  --set git.webhook.listen=127.0.0.1:0 --set git.metrics.listen=127.0.0.1:0 --set git.autoPushInterval=1s \
  --set git.fetchInterval=10m
PORT=$(webhook_port)
metrics_port() { grep -o 'metrics on http://127.0.0.1:[0-9]*' "$LOG" | tail -n 1 | sed 's/.*://'; }
metrics_up() { [ -n "$(metrics_port)" ]; }
wait_for "the metrics listener is up" metrics_up
METRICS_PORT=$(metrics_port)
remote_has_head() { [ "$(git --git-dir "$REMOTE" rev-parse -q --verify main 2>/dev/null)" = "$(git_h rev-parse HEAD)" ]; }
wait_for "the initial import is pushed" remote_has_head

step "/metrics on the webhook listener and on git.metrics.listen pass promtool check metrics"
scrape "http://127.0.0.1:$PORT/metrics" "$T/m0"
scrape "http://127.0.0.1:$METRICS_PORT/metrics" "$T/m0b"
grep -q '^# TYPE histfs_commits_total counter$' "$T/m0" || fail "no histfs_commits_total family: $(head -20 "$T/m0")"
grep -q '^histfs_fuse_operations_total{op="lookup"} ' "$T/m0" || fail "no FUSE operation counters"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST --data '{}' "http://127.0.0.1:$METRICS_PORT/webhook")
[ "$code" = 404 ] || fail "the metrics listener took a delivery (HTTP $code)"

step "a write through the mount moves the counters: commits +1, a push, write-to-pushed latency, FUSE writes"
commits_before=$(commit_count)
echo "one more line" >>"$MNT/a.md"
wait_for "the change is committed" commits_above "$commits_before"
wait_for "the commit is pushed" remote_has_head
scrape "http://127.0.0.1:$PORT/metrics" "$T/m1"
[ "$(metric "$T/m1" histfs_commits_total)" = "$(($(metric "$T/m0" histfs_commits_total) + 1))" ] ||
  fail "histfs_commits_total went from $(metric "$T/m0" histfs_commits_total) to $(metric "$T/m1" histfs_commits_total)"
[ "$(metric "$T/m1" 'histfs_pushes_total{outcome="pushed"}')" -ge 2 ] || fail "pushes: $(grep pushes_total "$T/m1")"
[ "$(metric "$T/m1" histfs_write_to_push_seconds_count)" -ge 1 ] || fail "no write-to-pushed sample"
[ "$(metric "$T/m1" histfs_commit_duration_seconds_count)" -ge 1 ] || fail "no commit duration sample"
[ "$(metric "$T/m1" 'histfs_fuse_operations_total{op="write"}')" -ge 1 ] || fail "no FUSE write counted"
grep -q '^histfs_last_push_timestamp_seconds ' "$T/m1" || fail "no last push timestamp"
# Memory gauges: the kernel has looked a.md up (an inode and its fd); the stat cache is
# counted too (a file written this instant is not cached yet, so its count may be 0 here).
# status --json says the same.
[ "$(metric "$T/m1" histfs_inodes)" -ge 1 ] || fail "histfs_inodes: $(grep histfs_inodes "$T/m1")"
[ "$(metric "$T/m1" histfs_inode_fds_open)" -ge 1 ] || fail "histfs_inode_fds_open: $(grep inode_fds "$T/m1")"
grep -q '^histfs_stat_cache_entries [0-9]' "$T/m1" || fail "no histfs_stat_cache_entries gauge"
cli_ok status --json --mount "$MNT"
[ "$(json_get "$T/cli.out" 'j["memory"]["inodes_known"]')" -ge 1 ] || fail "status --json memory: $(cli_out)"
mkdir "$MNT/full"
echo x >"$MNT/full/f.md"
rmdir "$MNT/full" 2>/dev/null && fail "rmdir removed a directory that is not empty"
scrape "http://127.0.0.1:$PORT/metrics" "$T/m1b"
[ "$(metric "$T/m1b" 'histfs_fuse_errors_total{op="rmdir"}')" -ge 1 ] || fail "the ENOTEMPTY of rmdir was not counted"

step "JSON log: every line parses, git_commit carries the commit's Correlation-Id, git_push the outcome"
correlation=$(git_h log -1 --format=%B | sed -n 's/^Correlation-Id: //p')
[ -n "$correlation" ] || fail "HEAD has no Correlation-Id trailer"
has_event git_commit "\"id\": \"$correlation\"" || fail "no git_commit event with id $correlation: $(events git_commit)"
has_event git_commit "\"commit\": \"$(git_h rev-parse HEAD)\"" || fail "the git_commit event does not name HEAD"
has_event git_push '"outcome": "pushed"' || fail "no git_push event with outcome pushed: $(events git_push | tail -3)"
events git_push | "$PY" -c 'import json, sys
for line in sys.stdin:
    e = json.loads(line)
    assert len(e["id"]) == 32 and isinstance(e["duration_ms"], int), e' || fail "a git_push event lacks its id or duration"
"$PY" - "$LOG" <<'PYEOF' || fail "a timestamp does not say its offset"
import json, re, sys
for line in open(sys.argv[1]):
    time = json.loads(line)["time"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d", time), time
PYEOF

step "a webhook delivery and the pull it causes share the delivery's id"
# Nothing of ours still on its way out: the pull the webhook causes is then a fast-forward.
cli_ok flush --mount "$MNT"
wait_for "HEAD pushed before the other clone pushes" remote_has_head
clone=$T/clone
git clone -q "$REMOTE" "$clone"
echo "from elsewhere" >"$clone/b.md"
git -C "$clone" add b.md
git -C "$clone" commit -qm "b from elsewhere"
git -C "$clone" push -q origin main
after=$(git -C "$clone" rev-parse HEAD)
delivery=$(cat /proc/sys/kernel/random/uuid)
printf '{"ref":"refs/heads/main","before":"%s","after":"%s","repository":{"full_name":"test/notes","default_branch":"main"},"head_commit":{"id":"%s"},"commits":[]}' \
  "$(git_h rev-parse HEAD)" "$after" "$after" >"$T/push.json"
code=$(post_delivery push "$T/push.json" "$delivery")
[ "$code" = 202 ] || fail "the push delivery was answered $code: $(cat "$T/answer")"
wait_for "b.md arrives in the mount" test -f "$MNT/b.md"
wait_for "a git_pull event with the delivery's id" has_event git_pull "\"id\": \"$delivery\""
has_event git_pull '"outcome": "fast_forward"' || fail "the pull was not a fast-forward: $(events git_pull)"
has_event webhook "\"id\": \"$delivery\"" || fail "no webhook event with id $delivery: $(events webhook)"
has_event webhook '"status": 202' || fail "the webhook event has no status 202"

step "a conflict: both sides change a.md; the merge writes a conflict copy and logs git_conflict"
wait_for "the pull is settled (HEAD pushed)" remote_has_head
git -C "$clone" pull -q origin main
echo "their line" >>"$clone/a.md"
git -C "$clone" commit -qam "a from elsewhere"
git -C "$clone" push -q origin main
echo "our line" >>"$MNT/a.md"
wait_for "a git_conflict event" has_event git_conflict '"path": "a.md"'
events git_conflict | "$PY" -c 'import json, sys
e = json.loads(sys.stdin.readline())
assert e["level"] == "warn" and len(e["id"]) == 32 and "copy" in e, e' || fail "git_conflict event: $(events git_conflict)"
wait_for "the merge is pushed" remote_has_head
scrape "http://127.0.0.1:$PORT/metrics" "$T/m2"
[ "$(metric "$T/m2" histfs_conflicts_total)" -ge 1 ] || fail "histfs_conflicts_total: $(grep conflicts "$T/m2")"
[ "$(metric "$T/m2" 'histfs_webhook_deliveries_total{status="202"}')" -ge 1 ] || fail "the delivery was not counted"
[ "$(metric "$T/m2" 'histfs_pulls_total{outcome="fast_forward"}')" -ge 1 ] || fail "the fast-forward pull was not counted"

step "report --json agrees with git log (commits, files changed, bytes committed)"
cli_ok report --mount "$MNT" --since 1h --json
cli_out >"$T/report.json"
json_valid "$T/report.json"
"$PY" - "$T/report.json" "$GITDIR" <<'PYEOF' || fail "report and git log disagree"
import json, subprocess, sys
report = json.load(open(sys.argv[1]))
git = ["git", "--git-dir", sys.argv[2]]
def out(*args):
    return subprocess.run(git + list(args), check=True, capture_output=True, text=True).stdout
commits = out("log", "--since=1 hour ago", "--format=%H", "main").split()
files = added = size = merges = 0
for commit in commits:
    parents = out("rev-list", "--parents", "-n1", commit).split()[1:]
    merges += len(parents) > 1
    base = parents[:1] or ["--root"]
    for line in out("diff-tree", "-r", "--no-renames", "--no-commit-id", *base, commit).splitlines():
        meta, path = line.split("\t", 1)
        status, new = meta.split()[4], meta.split()[3]
        files += 1
        if status != "D":
            size += int(out("cat-file", "-s", new))
want = {"commits": len(commits), "merges": merges, "files_changed": files, "bytes_committed": size}
got = {key: report[key] for key in want}
assert got == want, f"report {got} != git log {want}"
assert report["pushes"]["pushed"] >= 2, report["pushes"]
assert report["pulls_by_kind"]["fast_forward"] >= 1, report["pulls_by_kind"]
assert report["conflicts"] >= 1, report
assert report["push_latency_seconds"]["p50"] is not None, report["push_latency_seconds"]
assert report["push_latency_seconds"]["p99"] >= report["push_latency_seconds"]["p50"]
assert report["webhooks"]["202"] >= 1, report["webhooks"]
print("report:", got, "pushes", report["pushes"], "latency", report["push_latency_seconds"])
PYEOF
cli_ok report --mount "$MNT"
cli_out | grep -q '^push latency:   p50 ' || fail "the human report has no push latency line: $(cli_out)"
cli_error "--since" report --mount "$MNT" --since soon

step "SIGHUP: the log file is reopened (rename, HUP, a new file appears), the mount stays"
mv "$LOG" "$LOG.1"
kill -HUP "$DAEMON_PID"
wait_for "a new log file appears" test -s "$LOG"
grep -q 'SIGHUP: log reopened' "$LOG" || fail "the new log does not say it was reopened: $(cat "$LOG")"
mountpoint -q "$MNT" || fail "SIGHUP unmounted $MNT"
alive "$DAEMON_PID" || fail "the daemon died on SIGHUP"
commits_before=$(commit_count)
echo "after the rotation" >"$MNT/c.md"
wait_for "a commit after the rotation" commits_above "$commits_before"
wait_for "its git_commit event is in the new log" has_event git_commit '"paths": 1'
grep -q 'c.md' "$LOG.1" && fail "the old log file was still written after SIGHUP"
reloads_logged() { [ "$(grep -c 'SIGHUP: log reopened' "$LOG")" -ge "$1" ]; }
kill -HUP "$DAEMON_PID"
wait_for "a second reload is logged" reloads_logged 2
kill -HUP "$DAEMON_PID"
wait_for "a third reload is logged" reloads_logged 3
mountpoint -q "$MNT" || fail "a second SIGHUP unmounted $MNT"
unmount_histfs

step "detached with no log file and no syslog socket: the log goes to the git dir, never nowhere"
new_workspace
echo "x" >"$DATA/x.md"
rc=0
"$HISTFS" mount "$DATA" "$MNT" --commit-quiet 200ms --commit-max-delay 1s 2>"$T/mount.err" || rc=$?
[ "$rc" = 0 ] || fail "histfs mount exited with $rc: $(cat "$T/mount.err")"
DAEMON_PID=$(daemon_pid)
if [ -S /dev/log ]; then
  echo "(this machine has /dev/log: the log goes to syslog; the fallback file is not checked)"
else
  wait_for "the git dir's histfs.log says the daemon detached" grep -qs 'detached; logging to' "$GITDIR/histfs.log"
fi
unmount_histfs

finish "JSON events with ids, /metrics (promtool-clean, moving), SIGHUP reopen without unmounting, report = git log"
