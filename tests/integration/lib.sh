# shellcheck shell=bash
# Shared helpers for the integration tests: each *_test.sh sources this file.
# They mount a real histfs (daemonized, as a user would) on a temp dir and drive it
# with real tools. Exit codes: 0 pass, 77 skip, anything else fail.
set -euo pipefail

HISTFS=${HISTFS:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/histfs}
[ -x "$HISTFS" ] || { echo "FAIL: histfs binary $HISTFS not found (set HISTFS=...)" >&2; exit 1; }

STEP="(setup)"      # what the test is doing now, named in every failure
WORKSPACES=()       # every temp dir made by new_workspace, cleaned up at exit
T="" DATA="" MNT="" GITDIR="" LOG="" DAEMON_PID=""

# Name the current step (printed, and repeated by fail).
step() {
  STEP="$*"
  echo "--- [${SECONDS}s] $STEP"
}

fail() {
  echo "FAIL [$STEP]: $*" >&2
  if [ -n "$LOG" ] && [ -s "$LOG" ]; then
    echo "--- last lines of the histfs log $LOG:" >&2
    tail -n 30 "$LOG" >&2
    # Again after the log: a report that keeps only an output's head and tail still shows why.
    echo "FAIL [$STEP]: $*" >&2
  fi
  exit 1
}

# Skip (77) only when this machine cannot mount FUSE at all.
require_fuse() {
  local why=""
  [ -c /dev/fuse ] || why="/dev/fuse is missing"
  command -v fusermount3 >/dev/null || why="${why:+$why and }fusermount3 is not installed"
  if [ -n "$why" ]; then
    echo "################################################################" >&2
    echo "### SKIPPED ${0##*/}: $why; no FUSE mount possible." >&2
    echo "################################################################" >&2
    exit 77
  fi
}

# A fresh temp dir with data/ and mnt/; sets T DATA MNT GITDIR LOG (git dir is the default data.git).
new_workspace() {
  T=$(mktemp -d /tmp/histfs-it.XXXXXX)
  WORKSPACES+=("$T")
  DATA=$T/data MNT=$T/mnt GITDIR=$T/data.git LOG=$T/histfs.log DAEMON_PID=""
  mkdir "$DATA" "$MNT"
}

# The pid of the histfs daemon serving mount point $1 (default $MNT), or nothing.
daemon_pid() {
  pgrep -f -- "histfs mount .* ${1:-$MNT}( |\$)" | head -n 1 || true
}

# Is process $1 running? A zombie is not (the daemon's parent is init, which may reap it late).
alive() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ "$state" != Z* ]]
}

# Wait (up to ~15 s) until process $1 has exited.
wait_exit() {
  for _ in $(seq 150); do
    alive "$1" || return 0
    sleep 0.1
  done
  return 1
}

# Several mounts in one test: each has its own workspace; `on NAME` makes its T DATA MNT GITDIR
# LOG DAEMON_PID the current ones, so the helpers here (cli, git_h, wait_synced...) work on it.
declare -A W_T W_DATA W_MNT W_GIT W_LOG W_PID
on() {
  local n=$1
  T=${W_T[$n]} DATA=${W_DATA[$n]} MNT=${W_MNT[$n]} GITDIR=${W_GIT[$n]} LOG=${W_LOG[$n]} DAEMON_PID=${W_PID[$n]}
}
workspace() { # workspace NAME: a fresh workspace for mount NAME (files go into $DATA before mounting)
  new_workspace
  W_T[$1]=$T W_DATA[$1]=$DATA W_MNT[$1]=$MNT W_GIT[$1]=$GITDIR W_LOG[$1]=$LOG W_PID[$1]=""
}
# mount_named NAME [ARGS...]: mount NAME's workspace, pushing every second and fetching only when
# asked (a webhook, `histfs pull`); extra ARGS go to `histfs mount`.
mount_named() {
  local n=$1
  shift
  on "$n"
  mount_histfs --set git.autoPushInterval=1s --set git.fetchInterval=10m "$@"
  W_PID[$n]=$DAEMON_PID
}

# Mount $DATA at $MNT (daemonized) with a short debounce; extra args go to `histfs mount`.
# COMMIT_QUIET / COMMIT_MAX_DELAY override the debounce.
mount_histfs() {
  local rc=0
  "$HISTFS" mount "$DATA" "$MNT" --commit-quiet "${COMMIT_QUIET:-200ms}" \
    --commit-max-delay "${COMMIT_MAX_DELAY:-1s}" --log-file "$LOG" "$@" 2>"$T/mount.err" || rc=$?
  [ "$rc" = 0 ] || fail "histfs mount $DATA $MNT exited with $rc: $(cat "$T/mount.err")"
  mountpoint -q "$MNT" || fail "histfs mount returned but $MNT is not a mount point"
  DAEMON_PID=$(daemon_pid)
  [ -n "$DAEMON_PID" ] || fail "no histfs daemon found for $MNT"
}

setup_mount() {
  new_workspace
  mount_histfs "$@"
}

# Unmount $MNT the normal way and wait for the daemon to commit and exit.
unmount_histfs() {
  fusermount3 -u "$MNT" || fail "fusermount3 -u $MNT failed"
  [ -z "$DAEMON_PID" ] || wait_exit "$DAEMON_PID" || fail "daemon $DAEMON_PID still running 15 s after unmount"
  DAEMON_PID=""
}

# EXIT trap: unmount whatever is still mounted (lazily if need be), stop daemons, remove temp dirs.
cleanup() {
  local rc=$? ws mnt pid
  set +e
  for ws in "${WORKSPACES[@]}"; do
    for mnt in "$ws"/mnt*; do
      pid=$(daemon_pid "$mnt")
      if grep -qs " $mnt fuse" /proc/self/mounts; then
        fusermount3 -u "$mnt" 2>/dev/null || fusermount3 -uz "$mnt" 2>/dev/null
      fi
      if [ -n "$pid" ] && ! wait_exit "$pid"; then kill -9 "$pid" 2>/dev/null; fi
    done
    rm -rf "$ws"
  done
  exit "$rc"
}
trap cleanup EXIT

git_h() { git --git-dir "$GITDIR" "$@"; }
# head_of NAME: the HEAD commit of mount NAME's git dir, or none.
head_of() { git --git-dir "${W_GIT[$1]}" rev-parse -q --verify HEAD 2>/dev/null || echo none; }
# histfs_keys GIT_DIR: the histfs.* keys of a git dir's config (where connect saves the remote).
histfs_keys() { git config --file "$1/config" --get-regexp '^histfs\.' || true; }

# The tree stock git makes of $DATA (honouring GITDIR/info/exclude and .gitignore files),
# built with a throwaway index and object dir so nothing is written into the histfs repo.
expected_tree() {
  local scratch=$T/expected
  rm -rf "$scratch" && mkdir -p "$scratch/objects"
  GIT_DIR=$GITDIR GIT_WORK_TREE=$DATA GIT_INDEX_FILE=$scratch/index GIT_OBJECT_DIRECTORY=$scratch/objects \
    GIT_ALTERNATE_OBJECT_DIRECTORIES=$GITDIR/objects git add -A &&
    GIT_DIR=$GITDIR GIT_WORK_TREE=$DATA GIT_INDEX_FILE=$scratch/index GIT_OBJECT_DIRECTORY=$scratch/objects \
      GIT_ALTERNATE_OBJECT_DIRECTORIES=$GITDIR/objects git write-tree
}

EMPTY_TREE=4b825dc642cb6eb9a060e54bf8d69288fbee4904
head_tree() { git_h rev-parse -q --verify 'HEAD^{tree}' 2>/dev/null || echo "$EMPTY_TREE"; }

# `ls-tree -r` of tree $1, able to read the throwaway objects too: one line per file (mode, blob id, path).
list_tree() {
  GIT_OBJECT_DIRECTORY=$T/expected/objects GIT_ALTERNATE_OBJECT_DIRECTORIES=$GITDIR/objects \
    git --git-dir "$GITDIR" ls-tree -r --full-tree "$1"
}

# Wait (up to ~15 s) until HEAD's tree is exactly what stock git makes of the backing dir.
wait_synced() {
  local expected actual
  for _ in $(seq 150); do
    expected=$(expected_tree) || fail "git add -A / write-tree on $DATA failed"
    actual=$(head_tree)
    [ "$expected" = "$actual" ] && return 0
    sleep 0.1
  done
  echo "HEAD tree $actual != expected tree $expected; diff of ls-tree -r (- HEAD, + backing dir):" >&2
  diff <(list_tree "$actual") <(list_tree "$expected") >&2 || true
  [ -z "$DAEMON_PID" ] || alive "$DAEMON_PID" || echo "(the daemon $DAEMON_PID is no longer running)" >&2
  fail "HEAD did not match the backing dir within 15 s"
}

# While mounted, only where the daemon cannot be packing (fewer loose objects than
# git.gc.looseObjects): a pack landing during fsck takes loose objects away under it.
assert_fsck() {
  local out
  out=$(git_h fsck --strict --no-progress 2>&1) || fail "git fsck --strict failed: $out"
}

commit_count() { git_h rev-list --count HEAD 2>/dev/null || echo 0; }

# Paths in HEAD, one per line.
head_paths() { git_h ls-tree -r --name-only HEAD 2>/dev/null || true; }

# (grep reads a here-string: with pipefail, `git ... | grep -q` could fail on SIGPIPE.)
assert_in_head() {
  local p paths
  paths=$(head_paths)
  for p in "$@"; do grep -qxF -- "$p" <<<"$paths" || fail "$p is not in HEAD"; done
}

assert_not_in_head() {
  local p paths
  paths=$(head_paths)
  for p in "$@"; do ! grep -qxF -- "$p" <<<"$paths" || fail "$p is in HEAD but should not be"; done
}

# ---------------------------------------------------------------------------
# Helpers for the .history view and the control CLI (history_test, control_test).

# python3 for small checks: the system one starts fastest (a pyenv shim costs ~0.2 s a call).
PY=$(command -v /usr/bin/python3 || command -v python3 || true)
require_python() { [ -n "$PY" ] || fail "python3 is needed by this test"; }

# wait_until SECONDS WHAT CMD...: poll CMD every 0.1 s for up to SECONDS.
wait_until() {
  local secs=$1 what=$2 i
  shift 2
  for ((i = 0; i < secs * 10; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  fail "timed out after $secs s waiting until $what"
}
# wait_for WHAT CMD...: poll CMD (up to ~15 s) until it succeeds.
wait_for() { wait_until 15 "$@"; }

# make_notes COUNT FOLDERS: COUNT small notes of different sizes in $DATA, spread over FOLDERS
# folders (d00/n000000.md, d01/n000001.md, ...): a large import made fast.
make_notes() {
  "$PY" - "$DATA" "$1" "$2" <<'PY'
import os, sys
root, count, folders = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(count):
    folder = os.path.join(root, "d%02d" % (i % folders))
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "n%06d.md" % i), "w") as f:
        f.write("note %d\n%s\n" % (i, "x" * (i % 200)))
PY
}

# lists DIR NAME: a readdir of DIR (as ls -a does) returns NAME; count_listed DIR NAME: how often.
lists() { [ "$(count_listed "$1" "$2")" -gt 0 ]; }
count_listed() { find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n' | grep -cxF -- "$2" || true; }

# errno_of OP PATH [ARG]: make one system call, print the errno name (EROFS, ENOENT...) or OK.
errno_of() {
  "$PY" - "$@" <<'PYEOF'
import errno, os, sys
op, a = sys.argv[1], sys.argv[2:]
def opened(path, flags, mode=0o644):
    os.close(os.open(path, flags, mode))
ops = {
    "create": lambda: opened(a[0], os.O_WRONLY | os.O_CREAT | os.O_EXCL),
    "open-write": lambda: opened(a[0], os.O_WRONLY),
    "open-rdwr": lambda: opened(a[0], os.O_RDWR),
    "open-append": lambda: opened(a[0], os.O_WRONLY | os.O_APPEND),
    "open-trunc": lambda: opened(a[0], os.O_RDONLY | os.O_TRUNC),
    "read": lambda: open(a[0], "rb").read(),
    "truncate": lambda: os.truncate(a[0], 0),
    "unlink": lambda: os.unlink(a[0]),
    "rmdir": lambda: os.rmdir(a[0]),
    "mkdir": lambda: os.mkdir(a[0]),
    "mkfifo": lambda: os.mkfifo(a[0]),
    "rename": lambda: os.rename(a[0], a[1]),
    "symlink": lambda: os.symlink(a[1], a[0]),  # symlink PATH TARGET
    "link": lambda: os.link(a[0], a[1]),        # link EXISTING NEW
    "chmod": lambda: os.chmod(a[0], 0o600),
    "chown": lambda: os.chown(a[0], 1, 1, follow_symlinks=False),
    "utime": lambda: os.utime(a[0], None, follow_symlinks=False),
    "setxattr": lambda: os.setxattr(a[0], "user.histfs_test", b"1"),
    "removexattr": lambda: os.removexattr(a[0], "user.histfs_test"),
    "stat": lambda: os.lstat(a[0]),
    "listdir": lambda: os.listdir(a[0]),
}
try:
    ops[op]()
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
else:
    print("OK")
PYEOF
}

# expect_errno WANT OP PATH [ARG]: the system call OP fails with errno WANT (or succeeds, for OK).
expect_errno() {
  local want=$1 got
  shift
  got=$(errno_of "$@") || fail "the errno helper failed on $*"
  [ "$got" = "$want" ] || fail "$* gave $got, expected $want"
}

# cli ARGS...: run the histfs control CLI; exit code in CLI_RC, output in $T/cli.out and $T/cli.err.
CLI_RC=0
cli() {
  CLI_RC=0
  "$HISTFS" "$@" >"$T/cli.out" 2>"$T/cli.err" || CLI_RC=$?
}
cli_out() { cat "$T/cli.out"; }
cli_err() { cat "$T/cli.err"; }

# cli_ok ARGS...: the CLI succeeds (exit 0).
cli_ok() {
  cli "$@"
  [ "$CLI_RC" = 0 ] || fail "histfs $* exited with $CLI_RC; stderr: $(cli_err)"
}

# cli_error WORD ARGS...: the CLI exits 1 and its stderr contains WORD.
cli_error() {
  local word=$1
  shift
  cli "$@"
  [ "$CLI_RC" = 1 ] || fail "histfs $* exited with $CLI_RC, expected 1; stdout: $(cli_out) stderr: $(cli_err)"
  grep -qiF -- "$word" "$T/cli.err" || fail "histfs $* did not say '$word'; stderr: $(cli_err)"
}

# json_valid FILE: FILE holds one valid JSON document.
json_valid() {
  "$PY" -m json.tool "$1" >/dev/null 2>"$T/json.err" || fail "not valid JSON ($(cat "$T/json.err")): $(cat "$1")"
}

# status_json [NAME]: `histfs status --json` (of mount NAME, when given) into $T/status.json,
# checked to be JSON.
status_json() {
  [ $# = 0 ] || on "$1"
  cli_ok status --mount "$MNT" --json
  cp "$T/cli.out" "$T/status.json"
  json_valid "$T/status.json"
}
# remote_field NAME EXPR-over-r: a field of NAME's status .remote.
remote_field() {
  status_json "$1"
  json_get "$T/status.json" "(lambda r: $2)(j['remote'])"
}

# json_get FILE EXPR: evaluate the Python expression EXPR over the parsed document `j`; strings print
# as they are, everything else as JSON (true, null, [..]).
json_get() {
  "$PY" -c 'import json, sys
j = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2" || fail "cannot evaluate $2 over $(cat "$1")"
}

# A digest of everything in directory $1: names, types, modes, sizes, mtimes, link targets, contents.
dir_digest() {
  (
    cd "$1" && find . -printf '%p %y %m %s %T@ %l\n' | LC_ALL=C sort &&
      find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum
  ) | sha256sum | cut -d' ' -f1
}

# fail_later MSG: report a failure now but let the test go on (for checks that later steps do not
# depend on); finish exits 1 if any was reported.
FAILED_LATER=()
fail_later() {
  echo "FAIL [$STEP]: $*" >&2
  FAILED_LATER+=("[$STEP] $*")
}
# finish MSG: end of a test: fail if fail_later reported anything, else print PASS: MSG.
finish() {
  if ((${#FAILED_LATER[@]})); then
    echo "${#FAILED_LATER[@]} failure(s):" >&2
    printf '  %s\n' "${FAILED_LATER[@]}" >&2
    exit 1
  fi
  echo "PASS: $*"
}

# The port of the mount's webhook server (listen port 0), from its log's "listening" line.
webhook_port() { # the port from the log's "webhook server listening" line
  local port=""
  for _ in $(seq 100); do
    port=$(grep -o 'webhook server listening on https\?://127.0.0.1:[0-9]*' "$LOG" 2>/dev/null | tail -n 1 | sed 's/.*://')
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || fail "no 'webhook server listening' line in the log"
  echo "$port"
}
