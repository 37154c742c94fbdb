#!/usr/bin/env bash
# Several machines on one local bare remote (issue 8):
#  (6) a remote made by `git init --bare` (HEAD -> master): the first push points its HEAD at main;
#  (1) two mounts pushing at the same moment, many rounds: no commit is lost, nobody sees a
#      "force-push", both end on the remote's main with every file;
#  (2) connect --prefer local and --prefer remote never delete on either side; only where both
#      sides have a path does --prefer choose, and the answer lists those paths;
#  (2) a pull that would delete more than git.maxDelete files is held, nothing written, status says
#      so and `histfs pull` exits non-zero;
#  (3) a snapshot made on one machine shows on the other (`histfs snapshots`, .history/<tag>);
#  (4) a conflict leaves the status list once its copy is deleted;
#  (8) a rename made on another machine (exact, and with an edit) reaches the mount's watchers
#      as a move (MOVED_FROM/MOVED_TO), not as a delete and a create.
source "$(dirname "$0")/lib.sh"
require_fuse
require_python
cd /

remote_main() { git --git-dir "$REMOTE" rev-parse -q --verify refs/heads/main 2>/dev/null || echo none; }
# pull_until_same NAMES...: pull on each until every HEAD is the remote's main (pushes settle first).
converged() {
  local want n
  want=$(remote_main)
  for n in "$@"; do
    on "$n"
    cli pull --mount "$MNT"
    cli flush --mount "$MNT"
    [ "$(head_of "$n")" = "$want" ] || return 1
  done
  [ "$(remote_main)" = "$want" ]
}

new_workspace
REMOTE=$T/remote.git
git init -q --bare -b master "$REMOTE"

step "(6) A connects to an empty remote made by git init --bare: its HEAD then names main"
workspace A
echo "from A" >"$DATA/a.md"
echo "A's shared" >"$DATA/shared.md"
mount_named A --set git.maxDelete=3
cli_ok connect --mount "$MNT" --remote "$REMOTE"
[ "$(remote_main)" = "$(head_of A)" ] || fail "the remote's main is not A's HEAD"
[ "$(git --git-dir "$REMOTE" symbolic-ref HEAD)" = refs/heads/main ] || fail "the remote's HEAD is $(git --git-dir "$REMOTE" symbolic-ref HEAD)"
git clone -q "$REMOTE" "$T/clone"
[ "$(cat "$T/clone/a.md")" = "from A" ] || fail "a clone of the remote checks out nothing"

step "(2) B with its own files connects --prefer local: nothing is deleted anywhere"
workspace B
echo "from B" >"$DATA/b.md"
echo "B's shared" >"$DATA/shared.md"
mount_named B
cli_ok connect --mount "$MNT" --remote "$REMOTE" --prefer local --json
cp "$T/cli.out" "$T/connect.json"
[ "$(json_get "$T/connect.json" '[r["path"] for r in j["result"]["replaced"]]')" = '["shared.md"]' ] ||
  fail "connect does not list shared.md as decided by --prefer: $(cat "$T/connect.json")"
[ "$(cat "$MNT/a.md")" = "from A" ] || fail "B did not get A's file"
[ "$(cat "$MNT/b.md")" = "from B" ] || fail "B lost its own file"
[ "$(cat "$MNT/shared.md")" = "B's shared" ] || fail "--prefer local did not keep B's shared.md"
wait_until_converged() { for _ in $(seq 60); do converged "$@" && return 0; sleep 0.5; done; fail "no convergence of $*"; }
wait_until_converged A B
on A
[ -f "$MNT/b.md" ] && [ -f "$MNT/a.md" ] || fail "A lost files after B's connect: $(ls "$MNT")"
[ "$(cat "$MNT/shared.md")" = "B's shared" ] || fail "A's shared.md is not the preferred version"
git --git-dir "${W_GIT[A]}" log --full-history --format=%H -- shared.md | while read -r c; do
  git --git-dir "${W_GIT[A]}" show "$c:shared.md" 2>/dev/null
done | grep -q "A's shared" || fail "A's own version of shared.md is not in history"

step "(2) C connects --prefer remote: its own files stay"
workspace C
echo "from C" >"$DATA/c.md"
echo "C's shared" >"$DATA/shared.md"
mount_named C
cli_ok connect --mount "$MNT" --remote "$REMOTE" --prefer remote
[ "$(cat "$MNT/c.md")" = "from C" ] || fail "--prefer remote deleted C's own file"
[ "$(cat "$MNT/shared.md")" = "B's shared" ] || fail "--prefer remote did not take the remote's shared.md"
[ -f "$MNT/a.md" ] && [ -f "$MNT/b.md" ] || fail "C lacks the remote's files"
wait_until_converged A B C

step "(1) A and B push at the same moment, 15 rounds: nothing lost, no force-push seen"
for round in $(seq 15); do
  for n in A B; do
    on "$n"
    echo "$n $round" >"$MNT/race-$n-$round.md"
    cli_ok flush --mount "$MNT"
  done
  on A
  "$HISTFS" push --mount "${W_MNT[A]}" >/dev/null 2>&1 &
  p1=$!
  "$HISTFS" push --mount "${W_MNT[B]}" >/dev/null 2>&1 &
  p2=$!
  wait "$p1" || true
  wait "$p2" || true
done
wait_until_converged A B C
for n in A B C; do
  on "$n"
  have=$(find "$MNT" -maxdepth 1 -name 'race-*' | wc -l)
  [ "$have" = 30 ] || fail "$n has $have of the 30 racing files"
  [ "$(remote_field "$n" 'r["refused"]')" = null ] || fail "$n refused a pull: $(cat "$T/status.json")"
done
[ "$(git --git-dir "$REMOTE" ls-tree --name-only main | grep -c '^race-')" = 30 ] || fail "the remote lacks racing files"

step "(3) a snapshot made on A shows on B"
on A
cli_ok snapshot --mount "$MNT" -m "made on A" from-a
cli_ok push --mount "$MNT"
on B
cli_ok pull --mount "$MNT"
cli_ok snapshots --mount "$MNT"
grep -q "^from-a " "$T/cli.out" || fail "B's snapshots lack from-a: $(cli_out)"
[ "$(cat "$MNT/.history/from-a/a.md")" = "from A" ] || fail ".history/from-a on B is not readable"

step "(4) a conflict leaves the list once its copy is deleted"
on A
echo "A edit" >"$MNT/shared.md"
cli_ok flush --mount "$MNT"
on B
echo "B edit" >"$MNT/shared.md"
cli_ok flush --mount "$MNT"
on A
cli_ok push --mount "$MNT"
on B
cli pull --mount "$MNT"
copy=$(remote_field B '(r["conflicts"] or [{}])[0].get("copy", "")')
[ -n "$copy" ] && [ -f "$MNT/$copy" ] || fail "no conflict copy on B: $(cat "$T/status.json")"
rm "$MNT/$copy"
[ "$(remote_field B 'len(r["conflicts"])')" = 0 ] || fail "the conflict stays listed after its copy was deleted"
wait_until_converged A B C

step "(8) renames made on B arrive on A as moves"
on A
printf 'line %s\n' $(seq 40) >"$MNT/long.md"
mkdir -p "$MNT/moved" && echo keep >"$MNT/moved/keep.md"  # watched before the moves (inotifywait -r races new folders)
cli_ok flush --mount "$MNT"
cli_ok push --mount "$MNT"
wait_until_converged A B
on A
inotifywait -m -r -e create,delete,moved_from,moved_to --format '%e %w%f' "$MNT" >"$T/events" 2>"$T/inotify.err" &
watcher=$!
wait_for "inotifywait on A has set its watches" grep -qs "Watches established" "$T/inotify.err"
on B
mv "$MNT/a.md" "$MNT/moved/a-renamed.md"
mv "$MNT/long.md" "$MNT/moved/long-renamed.md"
echo "line 41" >>"$MNT/moved/long-renamed.md"
cli_ok flush --mount "$MNT"
cli_ok push --mount "$MNT"
on A
cli_ok pull --mount "$MNT"
[ "$(cat "$MNT/moved/a-renamed.md")" = "from A" ] || fail "the renamed file is not on A"
[ "$(tail -n 1 "$MNT/moved/long-renamed.md")" = "line 41" ] || fail "the renamed and edited file lacks its edit"
[ ! -e "$MNT/a.md" ] && [ ! -e "$MNT/long.md" ] || fail "the old names are still on A"
wait_for "inotify on A reports the moves" grep -q "^MOVED_TO $MNT/moved/long-renamed.md\$" "$T/events"
kill "$watcher" 2>/dev/null || true
for name in a.md long.md; do
  grep -q "^MOVED_FROM $MNT/$name\$" "$T/events" || fail "no MOVED_FROM for $name on A: $(cat "$T/events")"
  grep -q "^DELETE $MNT/$name\$" "$T/events" && fail "$name arrived as a delete on A: $(cat "$T/events")"
done
wait_until_converged A B C

step "(2) a pull deleting more than git.maxDelete files is held on A (maxDelete 3)"
on B
rm "$MNT"/race-A-{1,2,3,4,5}.md
cli_ok flush --mount "$MNT"
cli_ok push --mount "$MNT"
on A
cli pull --mount "$MNT"
[ "$CLI_RC" != 0 ] || fail "a held pull exited 0: $(cli_out)"
[ -f "$MNT/race-A-1.md" ] || fail "the held pull deleted files anyway"
held=$(remote_field A 'r["pull_held"] or ""')
[[ "$held" == *"git.maxDelete"* ]] || fail "status does not say the pull is held: $(cat "$T/status.json")"
cli_ok status --mount "$MNT"
grep -q "^pull held: " "$T/cli.out" || fail "status text does not show the held pull: $(cli_out)"
start=$SECONDS
cli_ok pull --mount "$MNT" --allow-mass-delete
[ ! -e "$MNT/race-A-1.md" ] && [ -f "$MNT/race-A-6.md" ] || fail "pull --allow-mass-delete did not apply the deletes"
echo "held pull applied in $((SECONDS - start)) s"
[ "$(remote_field A 'r["pull_held"]')" = null ] || fail "the pull stays held after --allow-mass-delete"
wait_until_converged A B C
finish "several machines: pushes race safely, connect keeps both sides, snapshots travel, mass deletes wait"
