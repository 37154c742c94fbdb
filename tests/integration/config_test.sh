#!/usr/bin/env bash
# histfs config get/set/list on a running mount and on a file (--config): where each value came
# from; set writes the file atomically (mode kept) and applies live keys at once (authors and
# committer show in the next commit) and says which wait for the next mount; bad values give
# start-up's message and leave the file byte for byte as it was.
source "$(dirname "$0")/lib.sh"
require_fuse
require_python
cd /

file_digest() { sha256sum "$1" | cut -d' ' -f1; }
# cli_refused WORD ARGS...: the CLI fails saying WORD, and the config file is unchanged.
cli_refused() {
  local before
  before=$(file_digest "$CONFIG")
  cli_error "$@"
  [ "$(file_digest "$CONFIG")" = "$before" ] || fail "the config file changed after a refused set: $(cat "$CONFIG")"
}
last_commit_of() { # last_commit_of FORMAT: the newest commit's FORMAT after a flush
  cli_ok flush --mount "$MNT"
  git_h log -1 --format="$1"
}

step "mount with a config file and a command-line override"
new_workspace
CONFIG=$T/etc/histfs.json
mkdir "$T/etc"
printf '{\n  "git": {\n    "autoPushInterval": "5s"\n  }\n}\n' >"$CONFIG"
chmod 640 "$CONFIG"
echo one >"$DATA/a.md"
mount_histfs --config "$CONFIG" --set git.maxDelete=7

step "config get"
cli_ok config get git.autoPushInterval --mount "$MNT"
[ "$(cli_out)" = 5s ] || fail "get git.autoPushInterval said $(cli_out)"
cli_ok config --mount "$MNT" get git.maxDelete
[ "$(cli_out)" = 7 ] || fail "get git.maxDelete said $(cli_out)"
cli_error "did you mean git.autoPushInterval?" config get git.autoPushIntervall --mount "$MNT"

step "config list: every key, its value and where it came from"
cli_ok config list --mount "$MNT"
grep -qE '^git\.autoPushInterval +\(file\) +5s$' "$T/cli.out" || fail "list: $(cli_out)"
grep -qE '^git\.maxDelete +\(command line\) +7$' "$T/cli.out" || fail "list: $(cli_out)"
grep -qE '^git\.commitQuiet +\(command line\) +200ms$' "$T/cli.out" || fail "list: $(cli_out)"
grep -qE '^git\.fetchInterval +\(default\) +5m$' "$T/cli.out" || fail "list: $(cli_out)"
grep -qF "config file: $CONFIG" "$T/cli.out" || fail "list does not name the file: $(cli_out)"
cli_ok config list --json --mount "$MNT"
cp "$T/cli.out" "$T/list.json"
json_valid "$T/list.json"
[ "$(json_get "$T/list.json" 'len(j["keys"])')" = "$("$HISTFS" config list --config "$CONFIG" --json |
  "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["keys"]))')" ] || fail "list --json misses keys"

step "config set: a live key is written atomically and applied now"
inode_before=$(stat -c %i "$CONFIG")
cli_ok config set git.autoPushInterval=2s --mount "$MNT"
grep -qF "in effect now" "$T/cli.out" || fail "set did not say it is in effect: $(cli_out)"
grep -qF '"autoPushInterval": "2s"' "$CONFIG" || fail "the file was not written: $(cat "$CONFIG")"
[ "$(stat -c %a "$CONFIG")" = 640 ] || fail "the file's mode changed to $(stat -c %a "$CONFIG")"
[ "$(stat -c %i "$CONFIG")" != "$inode_before" ] || fail "the file was rewritten in place, not replaced"
[ -z "$(find "$T/etc" -name '.histfs.json.*')" ] || fail "a temporary file was left: $(ls -a "$T/etc")"
cli_ok config get git.autoPushInterval --mount "$MNT"
[ "$(cli_out)" = 2s ] || fail "get after set said $(cli_out)"
cli_ok config list --mount "$MNT"
grep -qE '^git\.autoPushInterval +\(set\) +2s$' "$T/cli.out" || fail "list after set: $(cli_out)"
grep -q 'config: git.autoPushInterval is now 2s' "$LOG" || fail "the log does not say the key changed"

step "the debounce changes live too"
cli_ok config set git.commitMaxDelay=2s --mount "$MNT"
grep -qF "in effect now" "$T/cli.out" || fail "set git.commitMaxDelay: $(cli_out)"
grep -q 'config: git.commitMaxDelay is now 2s' "$LOG" || fail "the log does not say git.commitMaxDelay changed"

step "config set over a command-line override says it wins only until the next mount"
cli_ok config set git.maxDelete=3 --mount "$MNT"
grep -qF "command line sets git.maxDelete too" "$T/cli.out" || fail "no override note: $(cli_out)"
cli_ok config get git.maxDelete --mount "$MNT"
[ "$(cli_out)" = 3 ] || fail "git.maxDelete is $(cli_out) after set"

step "identity: git.authors and git.committer.* apply to the next commit"
echo x >"$MNT/x.md"
[ "$(last_commit_of '%an <%ae>|%cn <%ce>')" = "root <root@localhost>|histfs <histfs@localhost>" ] ||
  fail "the default identity changed: $(git_h log -1 --format='%an <%ae>|%cn <%ce>')"
cli_ok config set "git.authors={\"$(id -u)\": \"Ann Lee <ann@example.com>\"}" --mount "$MNT"
cli_ok config set "git.committer.name=Notes Bot" --mount "$MNT"
cli_ok config set git.committer.email=bot@example.com --mount "$MNT"
echo two >"$MNT/b.md"
[ "$(last_commit_of '%an <%ae>|%cn <%ce>')" = "Ann Lee <ann@example.com>|Notes Bot <bot@example.com>" ] ||
  fail "the commit is by $(git_h log -1 --format='%an <%ae>|%cn <%ce>')"
cli_ok config set "git.authors=$(id -un)=Ann By Name <name@example.com>" --mount "$MNT"
echo three >"$MNT/c.md"
[ "$(last_commit_of '%an <%ae>')" = "Ann By Name <name@example.com>" ] ||
  fail "the author by user name is $(git_h log -1 --format='%an <%ae>')"
assert_fsck

step "config set of a key that cannot change live says so"
cli_ok config set 'git.ignore=*.tmp' --mount "$MNT"
grep -qF "takes effect at the next mount" "$T/cli.out" || fail "set git.ignore: $(cli_out)"
cli_ok config list --mount "$MNT"
grep -qE '^git\.ignore +\(set\) +\[\]  \[next mount: \["\*\.tmp"\]\]$' "$T/cli.out" || fail "list: $(cli_out)"

step "bad values: start-up's message, the file unchanged"
cli_refused 'git.autoPushInterval: expected a duration like 2s or 500ms, got "fast"' \
  config set git.autoPushInterval=fast --mount "$MNT"
cli_refused "did you mean git.autoPushInterval?" config set git.autoPushIntervall=5s --mount "$MNT"
cli_refused 'git.authors: "1000": expected "Name <email>", got "Ann"' config set git.authors=1000=Ann --mount "$MNT"
cli_refused "git.commitMaxDelay: must be at least git.commitQuiet" config set git.commitQuiet=1h --mount "$MNT"
cli_refused "expected KEY=VALUE" config set git.autoPushInterval --mount "$MNT"
cli_ok config get git.autoPushInterval --mount "$MNT"
[ "$(cli_out)" = 2s ] || fail "a refused set changed the value to $(cli_out)"
# The same words as at start-up.
mkdir "$T/mnt2"
"$HISTFS" mount "$DATA" "$T/mnt2" --git-dir "$T/other.git" --set git.autoPushInterval=fast 2>"$T/startup.err" &&
  fail "a mount with a bad value started"
grep -qF 'git.autoPushInterval: expected a duration like 2s or 500ms, got "fast"' "$T/startup.err" ||
  fail "start-up said: $(cat "$T/startup.err")"

step "--config FILE reads and edits a file without a mount"
cli_ok config set --config "$CONFIG" log.level=debug
grep -qF "next mount" "$T/cli.out" || fail "offline set: $(cli_out)"
cli_ok config get log.level --config "$CONFIG"
[ "$(cli_out)" = debug ] || fail "offline get said $(cli_out)"
cli_ok config list --config "$CONFIG"
grep -qE '^log\.level +\(file\) +debug$' "$T/cli.out" || fail "offline list: $(cli_out)"
cli_refused "log.level: expected one of trace" config set --config "$CONFIG" log.level=loud

step "the next mount uses what was set"
unmount_histfs
mount_histfs --config "$CONFIG"
cli_ok config list --mount "$MNT"
grep -qE '^git\.ignore +\(file\) +\["\*\.tmp"\]$' "$T/cli.out" || fail "git.ignore after remount: $(cli_out)"
grep -qE '^git\.maxDelete +\(file\) +3$' "$T/cli.out" || fail "git.maxDelete after remount: $(cli_out)"
unmount_histfs

step "a mount without a config file says where to put one"
mount_histfs
cli_error "mounted without --config FILE" config set git.autoPushInterval=2s --mount "$MNT"
cli_ok config get git.autoPushInterval --mount "$MNT"
[ "$(cli_out)" = 5s ] || fail "get without a file said $(cli_out)"
unmount_histfs

finish "config get/set/list"
