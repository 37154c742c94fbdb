#!/usr/bin/env bash
# Backup and pull against a real git server (nginx + git http-backend over HTTPS, basic auth, a
# post-receive hook that sends GitHub-format signed push webhooks; see git_server.sh):
#  (a) two mounts A and B on one remote: a file written on A shows up in B's mount through the
#      webhook alone, and an inotify watcher on B sees it;
#  (b) the same file edited on A and B at once: both contents survive on both sides (the file and a
#      conflict copy), status lists the conflict;
#  (c) the server down: A keeps committing, status shows the error; back up: every commit is pushed;
#  (g) a mass delete is held until `histfs push --allow-mass-delete`;
#  (h) a snapshot tag reaches the remote;
#  (f) a force-push to the remote is refused and changes nothing;
#  (d) a wrong or missing token: a clear error, nothing saved; no token in any log or git config;
#  (e) a remote with history: --prefer is required; --prefer remote and --prefer local (http:// and
#      --token-env here);
#  (i) a file:// remote.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/git_server.sh"
require_fuse
require_python
cd / # not inside a mount unless a step says so

# ---------------------------------------------------------------------------------------------
declare -A W_HOOK  # each mount's webhook URL
# mount_as NAME [ARGS...]: mount NAME's workspace, pushing every 1 s, with the test CA bundle and a
# webhook server on a free port; W_HOOK[NAME] is its webhook URL.
mount_as() {
  local n=$1 port=""
  shift
  mount_named "$n" --set "git.caFile=$GS_BUNDLE" --set "git.webhook.secretFile=$GS_SECRET_FILE" \
    --set git.webhook.listen=127.0.0.1:0 "$@"
  port=$(webhook_port) && [ -n "$port" ] || fail "mount $n: no 'webhook server listening' line in its log"
  W_HOOK[$n]=http://127.0.0.1:$port/webhook
}

same_head_and_remote() { # same_head_and_remote REPO NAME...: every NAME's HEAD is REPO's main
  local repo=$1 want n
  shift
  want=$(remote_main "$repo")
  [ "$want" != none ] || return 1
  for n in "$@"; do [ "$(head_of "$n")" = "$want" ] || return 1; done
}
file_is() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

git_server_start
SHARED=$(git_server_create_repo shared)

# =============================================================================================
step "mount A (with notes) and B (empty), both with a webhook server for histfs-test/shared"
workspace A
mkdir -p "$DATA/notes"
echo "first note" >"$DATA/notes/a.md"
echo "keep" >"$DATA/keep.md"
mount_as A --set git.maxDelete=5 --set git.webhook.repository=histfs-test/shared
workspace B
mount_as B --set git.webhook.repository=histfs-test/shared
git_server_subscribe shared "${W_HOOK[A]}"
git_server_subscribe shared "${W_HOOK[B]}"

step "connect A to the empty https remote with --token-file: everything is pushed"
on A
cli_ok connect --mount "$MNT" --remote "$SHARED" --token-file "$GS_TOKEN_FILE" --json
cp "$T/cli.out" "$T/connect.json"
json_valid "$T/connect.json"
[ "$(json_get "$T/connect.json" '[j["was_empty"], j["result"]["pushed"]]')" = "[true, true]" ] ||
  fail "connect --json: $(cat "$T/connect.json")"
[ "$(remote_main shared)" = "$(head_of A)" ] || fail "the remote's main is not A's HEAD after connect"
[ "$(gs_repo shared show main:notes/a.md)" = "first note" ] || fail "notes/a.md is not on the remote"
[ "$(git config --file "$GITDIR/config" histfs.remoteUrl)" = "$SHARED" ] || fail "histfs.remoteUrl: $(histfs_keys "$GITDIR")"
[ "$(git config --file "$GITDIR/config" histfs.tokenFile)" = "$GS_TOKEN_FILE" ] || fail "histfs.tokenFile: $(histfs_keys "$GITDIR")"
[ -z "$(git config --file "$GITDIR/config" histfs.tokenEnv)" ] || fail "histfs.tokenEnv set for a --token-file connect"
[ "$(remote_field A 'r["state"]')" = "in sync" ] || fail "A's remote state: $(cat "$T/status.json")"
cli_ok status --mount "$MNT"
grep -q "^remote: *$SHARED (in sync)" "$T/cli.out" || fail "status does not show the remote: $(cli_out)"

step "connect B (empty) with --prefer remote: it gets A's files"
on B
cli_ok connect --mount "$MNT" --remote "$SHARED" --token-file "$GS_TOKEN_FILE" --prefer remote
wait_until 15 "B's HEAD is the remote's main" same_head_and_remote shared A B
file_is "$MNT/notes/a.md" "first note" && file_is "$MNT/keep.md" keep || fail "B's mount lacks A's files"
wait_synced

# =============================================================================================
step "(a) a file written on A appears in B's mount through the webhook, seen by inotify on B"
on B
inotifywait -m -r -e create,modify,close_write,moved_to,delete --format '%e %w%f' "$MNT" \
  >"$T/events" 2>"$T/inotify.err" &
GS_BG_PIDS+=($!)
wait_for "inotifywait on B has set its watches" grep -qs "Watches established" "$T/inotify.err"
echo "written on A" >"${W_MNT[A]}/notes/from-a.md"
wait_until 15 "notes/from-a.md appears in B's mount" file_is "$MNT/notes/from-a.md" "written on A"
wait_for "inotify on B reports notes/from-a.md" grep -qE "^(CREATE|MOVED_TO) $MNT/notes/from-a.md\$" "$T/events"
wait_until 15 "A, B and the remote agree" same_head_and_remote shared A B
a_short=$(head_of A | cut -c1-12)
grep -qE "webhook push.* delivery .*202:? fetching $a_short" "${W_LOG[B]}" ||
  fail "B's log does not show the webhook delivery of $a_short that made it fetch"
[ "$(remote_field B 'r["last_webhook"] is not None')" = true ] || fail "B's status has no last_webhook"
grep -qE "webhook push.* delivery .*202:? already have $a_short" "${W_LOG[A]}" ||
  fail "A's log does not show the delivery of its own push recognised (already have $a_short)"
[ "$(remote_field B 'r["last_fetch"] is not None')" = true ] || fail "B's status has no last_fetch"
grep -q "shared refs/heads/main .* -> ${W_HOOK[B]}: 202" "$GS_DIR/deliveries.log" ||
  fail "the server's deliveries to B were not answered 202: $(cat "$GS_DIR/deliveries.log")"
on B
wait_synced

# =============================================================================================
step "(b) the same file edited on A and B at once: both versions survive on both sides"
echo "edited on A" >"${W_MNT[A]}/notes/a.md"
echo "edited on B" >"${W_MNT[B]}/notes/a.md"
conflict_copy() { # the conflict copy of notes/a.md in mount NAME, or nothing
  find "${W_MNT[$1]}/notes" -maxdepth 1 -name 'a (conflict from main, *).md' -printf '%f\n' 2>/dev/null | head -n 1
}
settled() {
  same_head_and_remote shared A B && [ -n "$(conflict_copy A)" ] && [ -n "$(conflict_copy B)" ]
}
wait_until 30 "A and B settle on one merge with a conflict copy" settled
copy=$(conflict_copy A)
[[ "$copy" =~ ^a\ \(conflict\ from\ main,\ [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}-[0-9]{2}-[0-9]{2}Z\)\.md$ ]] ||
  fail "conflict copy name: $copy"
[ "$(conflict_copy B)" = "$copy" ] || fail "A has $copy, B has $(conflict_copy B)"
for n in A B; do
  both=$(printf '%s\n' "$(cat "${W_MNT[$n]}/notes/a.md")" "$(cat "${W_MNT[$n]}/notes/$copy")" | sort | paste -sd,)
  [ "$both" = "edited on A,edited on B" ] || fail "on $n, notes/a.md and its copy hold: $both"
  on "$n"
  wait_synced
done
[ "$(cat "${W_MNT[A]}/notes/a.md")" = "$(cat "${W_MNT[B]}/notes/a.md")" ] || fail "A and B disagree on notes/a.md"
merger=""
for n in A B; do
  status_json "$n"
  if [ "$(json_get "$T/status.json" '[c["path"] for c in j["remote"]["conflicts"]]')" = '["notes/a.md"]' ]; then
    merger=$n
    [ "$(json_get "$T/status.json" 'j["remote"]["conflicts"][0]["copy"]')" = "notes/$copy" ] ||
      fail "status .remote.conflicts[0].copy: $(cat "$T/status.json")"
    cli_ok status --mount "$MNT"
    grep -qF "conflict:     notes/a.md (the remote's version is notes/$copy)" "$T/cli.out" ||
      fail "status on $n does not list the conflict: $(cli_out)"
    grep -q "git_conflict notes/a.md" "$LOG" || fail "no git_conflict line in $n's log"
    merge=$(git_h log -1 --merges --format=%H)
    [ -n "$merge" ] && git_h log -1 --format=%B "$merge" | grep -qxF "Conflict: notes/a.md" ||
      fail "the merge commit has no 'Conflict: notes/a.md' trailer"
  fi
done
[ -n "$merger" ] || fail "neither A's nor B's status lists the conflict on notes/a.md"
# The side that merged kept its own content in the file; the other side's is in the copy.
[ "$(cat "${W_MNT[$merger]}/notes/a.md")" = "edited on $merger" ] ||
  fail "$merger merged but notes/a.md holds $(cat "${W_MNT[$merger]}/notes/a.md")"
echo "(the merge was made on $merger)"

step "(b) A deletes a file while B edits it: the edited side wins on both"
echo "to be fought over" >"${W_MNT[A]}/notes/md.md"
wait_until 15 "B has notes/md.md" file_is "${W_MNT[B]}/notes/md.md" "to be fought over"
wait_until 15 "A, B and the remote agree" same_head_and_remote shared A B
rm "${W_MNT[A]}/notes/md.md"
echo "edited on B, deleted on A" >"${W_MNT[B]}/notes/md.md"
md_settled() {
  same_head_and_remote shared A B && file_is "${W_MNT[A]}/notes/md.md" "edited on B, deleted on A" &&
    file_is "${W_MNT[B]}/notes/md.md" "edited on B, deleted on A"
}
wait_until 30 "A and B settle with B's edit of notes/md.md" md_settled
for n in A B; do
  on "$n"
  wait_synced
done

step "(b) a pull never overwrites a file open for writing on B: it stays, A's version goes beside it"
echo "B keeps this open" >"${W_MNT[A]}/notes/open.md"
wait_until 15 "B has notes/open.md" file_is "${W_MNT[B]}/notes/open.md" "B keeps this open"
wait_until 15 "A, B and the remote agree" same_head_and_remote shared A B
exec 7>>"${W_MNT[B]}/notes/open.md" # B's writer holds it open (and writes nothing)
echo "changed on A while B had it open" >"${W_MNT[A]}/notes/open.md"
open_copy() { find "${W_MNT[$1]}/notes" -maxdepth 1 -name 'open (conflict from main, *).md' -printf '%f\n' | head -n 1; }
wait_until 15 "B writes A's version beside its open file" eval '[ -n "$(open_copy B)" ]'
exec 7>&-
wait_until 30 "A and B settle with the open file's copy" eval 'same_head_and_remote shared A B && [ -n "$(open_copy A)" ]'
for n in A B; do
  file_is "${W_MNT[$n]}/notes/open.md" "B keeps this open" || fail "$n: notes/open.md is $(cat "${W_MNT[$n]}/notes/open.md")"
  file_is "${W_MNT[$n]}/notes/$(open_copy B)" "changed on A while B had it open" || fail "$n: the copy of open.md is wrong"
done
[ "$(remote_field B '"notes/open.md" in [c["path"] for c in r["conflicts"]]')" = true ] ||
  fail "B's status does not list notes/open.md as a conflict: $(cat "$T/status.json")"

# =============================================================================================
step "(c) the server stops: A goes on committing, status shows the error"
git_server_stop
on A
before=$(head_of A)
for i in 1 2 3; do
  echo "outage $i" >"$MNT/outage-$i.md"
  # shellcheck disable=SC2034 # read inside the eval below
  prev=$(head_of A)
  wait_until 15 "A commits outage-$i.md" eval '[ "$(head_of A)" != "$prev" ]'
done
[ "$(git_h rev-list --count "$before..HEAD")" = 3 ] || fail "A did not make 3 commits during the outage"
retrying() { [ "$(remote_field A '[r["state"], r["last_error"] != ""]')" = '["retrying", true]' ]; }
wait_until 15 "A's status shows the push retrying with an error" retrying
cli_ok status --mount "$MNT"
grep -q "^remote error: " "$T/cli.out" || fail "status does not show the remote error: $(cli_out)"
grep -q "(retrying)" "$T/cli.out" || fail "status does not say retrying: $(cli_out)"
wait_until 10 "A retries with a doubled backoff (log: retry in 2.0 s)" grep -q "git_push failed (retry in 2.0 s)" "$LOG"
grep -q "git_push failed (retry in 1.0 s)" "$LOG" || fail "A's first retry was not after 1 s"
failures=$(grep -c "git_push failed" "$LOG")
[ "$failures" -le 3 ] || fail "A tried $failures times within ~3 s of outage: no backoff?"
file_is "$MNT/outage-3.md" "outage 3" || fail "outage-3.md is not readable in A's mount"

step "(c) the server is back: every commit reaches the remote, and B"
git_server_start
wait_until 30 "the remote's main is A's HEAD again" same_head_and_remote shared A
for i in 1 2 3; do
  [ "$(gs_repo shared show "main:outage-$i.md")" = "outage $i" ] || fail "outage-$i.md is not on the remote"
done
gs_repo shared merge-base --is-ancestor "$before" main || fail "the remote does not contain A's history"
wait_until 30 "B caught up with A" same_head_and_remote shared A B
file_is "${W_MNT[B]}/outage-3.md" "outage 3" || fail "B's mount lacks outage-3.md"
[ "$(remote_field A '[r["state"], r["last_error"]]')" = '["in sync", ""]' ] ||
  fail "A's remote state after the outage: $(cat "$T/status.json")"

# =============================================================================================
step "(g) A deletes 8 files with git.maxDelete=5: the push is held until --allow-mass-delete"
on A
mkdir "$MNT/bulk"
for i in $(seq 8); do echo "bulk $i" >"$MNT/bulk/f$i.md"; done
wait_until 15 "the bulk files are committed and pushed" eval '[ "$(gs_repo shared show main:bulk/f8.md 2>/dev/null)" = "bulk 8" ]'
wait_until 15 "B has the bulk files" file_is "${W_MNT[B]}/bulk/f8.md" "bulk 8"
wait_until 15 "A, B and the remote agree" same_head_and_remote shared A B
pushed_before=$(remote_main shared)
rm -r "$MNT/bulk"
held() { [ "$(remote_field A 'r["held"] is not None')" = true ]; }
wait_until 15 "A's status says the push is held" held
reason=$(json_get "$T/status.json" 'j["remote"]["held"]')
[[ "$reason" == *"delete 8 files"* && "$reason" == *git.maxDelete* && "$reason" == *--allow-mass-delete* ]] ||
  fail "held reason: $reason"
[ "$(json_get "$T/status.json" 'j["remote"]["state"]')" = held ] || fail "state is not held: $(cat "$T/status.json")"
[ "$(head_of A)" != "$pushed_before" ] || fail "the delete was not committed"
cli_ok status --mount "$MNT"
grep -q "^push held: .*--allow-mass-delete" "$T/cli.out" || fail "status text does not show the hold: $(cli_out)"
sleep 2.5 # two more push intervals: the hold must stay
[ "$(remote_main shared)" = "$pushed_before" ] || fail "the mass delete reached the remote without --allow-mass-delete"
file_is "${W_MNT[B]}/bulk/f1.md" "bulk 1" || fail "B lost bulk/ while A's push was held"
cli push --mount "$MNT" --json
[ "$CLI_RC" = 1 ] || fail "a held push exited $CLI_RC, want 1 (it did not do what it says)"
[ "$(json_get "$T/cli.out" 'j.get("held") is not None')" = true ] || fail "plain push --json did not report the hold: $(cli_out)"
cli_ok push --mount "$MNT" --allow-mass-delete --json
[ "$(json_get "$T/cli.out" 'j.get("pushed")')" = true ] || fail "push --allow-mass-delete: $(cli_out)"
[ "$(remote_main shared)" = "$(head_of A)" ] || fail "the remote's main is not A's HEAD after push --allow-mass-delete"
[ "$(remote_field A 'r["held"]')" = null ] || fail "the hold stays after the push: $(cat "$T/status.json")"
wait_until 15 "B's bulk/ files are gone" eval '[ ! -e "${W_MNT[B]}/bulk/f1.md" ]'
wait_until 15 "A, B and the remote agree" same_head_and_remote shared A B

# =============================================================================================
step "(k) a remote whose HEAD names a branch it lacks: status says a clone checks out nothing"
on A
gs_repo shared symbolic-ref HEAD refs/heads/master
cli_ok pull --mount "$MNT"
[[ "$(remote_field A 'r["head_warning"] or ""')" == *"HEAD names a branch"* ]] ||
  fail "status does not warn about the remote's HEAD: $(cat "$T/status.json")"
gs_repo shared symbolic-ref HEAD refs/heads/main
cli_ok pull --mount "$MNT"
[ "$(remote_field A 'r["head_warning"]')" = null ] || fail "the HEAD warning stays: $(cat "$T/status.json")"

step "(h) snapshot tags are pushed to the remote"
on A
tag_on_remote() { # tag_on_remote NAME: the remote has tag NAME, the same tag object as A's
  [ "$(gs_repo shared rev-parse -q --verify "refs/tags/$1" 2>/dev/null)" = "$(git_h rev-parse -q --verify "refs/tags/$1")" ]
}
wait_tag() { # wait_tag NAME: up to 5 s (pushes go every 1 s) for tag NAME on the remote
  for _ in $(seq 50); do
    tag_on_remote "$1" && return 0
    sleep 0.1
  done
  return 1
}
cli_ok snapshot --mount "$MNT" -m "first release" release-1 --json
wait_tag release-1 || {
  fail_later "snapshot release-1 (nothing pending, so no new commit) did not reach the remote within 5 s"
  cli_ok push --mount "$MNT" --json
  tag_on_remote release-1 || fail_later "\`histfs push\` did not push the tag release-1 either: $(cli_out | tr -d '\n')"
}
echo "after the snapshot" >"$MNT/after-snapshot.md"
cli_ok snapshot --mount "$MNT" release-2
wait_tag release-2 || fail_later "snapshot release-2 (pending edit committed first) did not reach the remote within 5 s"
echo "next commit" >"$MNT/tag-trigger.md"
wait_until 15 "release-1 and release-2 reach the remote with the next commit's push" \
  eval 'tag_on_remote release-1 && tag_on_remote release-2'
[ "$(gs_repo shared cat-file -t refs/tags/release-1)" = tag ] || fail "release-1 on the remote is not annotated"
[ "$(gs_repo shared rev-parse 'refs/tags/release-2^{commit}')" = "$(git_h rev-parse 'refs/tags/release-2^{commit}')" ] ||
  fail "release-2 points elsewhere on the remote"
wait_until 15 "tag-trigger.md reached the remote" eval '[ "$(gs_repo shared show main:tag-trigger.md 2>/dev/null)" = "next commit" ]'
wait_until 15 "A, B and the remote agree" same_head_and_remote shared A B

# =============================================================================================
step "(f) a force-push to the remote with stock git is refused by A and B; nothing local changes"
# Both must hold everything first: a mount that is still behind may take the rewritten main
# as ordinary news (it never saw the dropped commits), and rightly so.
wait_until 20 "A has pushed all it has" same_head_and_remote shared A
wait_until 20 "B has all of the remote" same_head_and_remote shared B
# Both must hold everything first: a mount that is still behind may take the rewritten main
# as ordinary news (it never saw the dropped commits), and rightly so.
wait_until 20 "A has pushed all it has" same_head_and_remote shared A
wait_until 20 "B has all of the remote" same_head_and_remote shared B
clone=${W_T[A]}/stock-clone
gs_git clone -q "$SHARED" "$clone" 2>"${W_T[A]}/clone.err" || fail "git clone: $(cat "${W_T[A]}/clone.err")"
git -C "$clone" reset -q --hard HEAD~3
echo "rewritten history" >"$clone/rewritten.md"
git -C "$clone" add rewritten.md
gs_git -C "$clone" commit -qm "rewrite"
a_head=$(head_of A) b_head=$(head_of B) a_digest=$(dir_digest "${W_DATA[A]}") b_digest=$(dir_digest "${W_DATA[B]}")
gs_git -C "$clone" push -q --force origin main 2>"${W_T[A]}/push.err" || fail "git push --force: $(cat "${W_T[A]}/push.err")"
[ "$(remote_main shared)" = "$(git -C "$clone" rev-parse HEAD)" ] || fail "the force-push did not land"
refused() { [ "$(remote_field "$1" '[r["state"], r["refused"] is not None]')" = '["refused", true]' ]; }
wait_until 15 "A refuses the rewritten remote (webhook)" refused A
wait_until 15 "B refuses the rewritten remote (webhook)" refused B
[[ "$(json_get "$T/status.json" 'j["remote"]["refused"]')" == *force-push*allowNonFF* ]] ||
  fail "refused reason: $(cat "$T/status.json")"
on A
cli pull --mount "$MNT" --json
[ "$CLI_RC" = 1 ] || fail "a refused pull --json exited $CLI_RC, want 1 (it did not do what it says)"
[ "$(json_get "$T/cli.out" '[j["pulled"], "refused" in j]')" = "[false, true]" ] || fail "pull --json after a force-push: $(cli_out)"
cli pull --mount "$MNT"
[ "$CLI_RC" = 1 ] || fail "a refused pull exited $CLI_RC, want 1 (it did not do what it says)"
grep -q "^pull refused: " "$T/cli.out" || fail "pull does not say refused: $(cli_out)"
cli_ok status --mount "$MNT"
grep -q "^pull refused: .*force-push" "$T/cli.out" || fail "status does not show the refusal: $(cli_out)"
grep -q "git_pull refused" "$LOG" || fail "A's log has no git_pull refused line"
[ "$(head_of A)" = "$a_head" ] && [ "$(head_of B)" = "$b_head" ] || fail "a HEAD moved after the force-push"
[ "$(dir_digest "${W_DATA[A]}")" = "$a_digest" ] && [ "$(dir_digest "${W_DATA[B]}")" = "$b_digest" ] ||
  fail "files changed after the force-push"
[ ! -e "${W_MNT[A]}/rewritten.md" ] && [ ! -e "${W_MNT[B]}/rewritten.md" ] || fail "rewritten.md was pulled in"
sleep 2.5 # two push intervals later the refusal must still show
status_json A
[ "$(json_get "$T/status.json" 'j["remote"]["refused"] is not None')" = true ] || fail "A's refusal vanished from status"
[ "$(json_get "$T/status.json" 'j["remote"]["state"]')" = refused ] ||
  fail_later "2.5 s after refusing the force-push, A's status says state '$(json_get "$T/status.json" 'j["remote"]["state"]')', not 'refused'"
[ "$(head_of A)" = "$a_head" ] && [ "$(dir_digest "${W_DATA[A]}")" = "$a_digest" ] || fail "A changed after the refusal"

# =============================================================================================
step "(d) a wrong token: connect fails clearly, nothing is saved, the files are intact"
workspace C
echo "c file" >"$DATA/c.md"
mount_as C
echo "wrong-token-$RANDOM$RANDOM" >"$T/bad-token"
c_head=$(head_of C) c_digest=$(dir_digest "$DATA")
cli_error "token" connect --mount "$MNT" --remote "$SHARED" --token-file "$T/bad-token"
grep -qiE "auth|refused|401" "$T/cli.err" || fail "the wrong-token error is not clear: $(cli_err)"
echo "(a wrong token: $(cli_err))"
[ -z "$(histfs_keys "$GITDIR")" ] || fail "a failed connect saved: $(histfs_keys "$GITDIR")"
[ "$(head_of C)" = "$c_head" ] && [ "$(dir_digest "$DATA")" = "$c_digest" ] || fail "a failed connect changed C"
[ "$(remote_field C 'r')" = null ] || fail "C's status shows a remote after a failed connect"
cli_error "credentials" connect --mount "$MNT" --remote "$SHARED"
cli_error "token" connect --mount "$MNT" --remote "$SHARED" --token-file "$T/no-such-token-file"
cli_error "" connect --mount "$MNT" --remote "https://x-access-token:$GS_TOKEN@localhost:$GS_PORT/shared.git" \
  --token-file "$GS_TOKEN_FILE"
grep -qiE "credential|password|user" "$T/cli.err" || fail "a URL with credentials: $(cli_err)"
[ -z "$(histfs_keys "$GITDIR")" ] || fail "a failed connect saved: $(histfs_keys "$GITDIR")"
file_is "$MNT/c.md" "c file" || fail "C's files are not intact"

step "(d) without git.caFile the test CA is not trusted: connect fails on the certificate, nothing saved"
workspace H
echo "h file" >"$DATA/h.md"
mount_histfs # no git.caFile: libgit2 trusts the system roots only
W_PID[H]=$DAEMON_PID
cli_error "certificate" connect --mount "$MNT" --remote "$SHARED" --token-file "$GS_TOKEN_FILE"
echo "(an untrusted server: $(cli_err))"
[ -z "$(histfs_keys "$GITDIR")" ] || fail "a connect refused on the certificate saved: $(histfs_keys "$GITDIR")"
on C
echo "c2" >"$MNT/c2.md"
wait_synced

# =============================================================================================
step "(e) a remote with history needs --prefer"
IMPORT=$(git_server_create_repo import)
seed=${W_T[C]}/seed
gs_git clone -q "$IMPORT" "$seed" 2>/dev/null
echo "remote only" >"$seed/remote-only.md"
echo "remote version" >"$seed/both.md"
git -C "$seed" add -A && gs_git -C "$seed" commit -qm "the remote's history" && gs_git -C "$seed" push -q origin main 2>/dev/null
seed_head=$(remote_main import)
[ "$seed_head" != none ] || fail "could not seed the import repo"
workspace D
echo "local only" >"$DATA/local-only.md"
echo "local D version" >"$DATA/both.md"
mount_as D
d_head=$(head_of D) d_digest=$(dir_digest "$DATA")
cli_error "--prefer" connect --mount "$MNT" --remote "$IMPORT" --token-file "$GS_TOKEN_FILE"
grep -qF -- "--prefer remote" "$T/cli.err" && grep -qF -- "--prefer local" "$T/cli.err" ||
  fail "the error does not name both choices: $(cli_err)"
echo "(no --prefer: $(cli_err))"
[ -z "$(histfs_keys "$GITDIR")" ] || fail "connect without --prefer saved: $(histfs_keys "$GITDIR")"
[ "$(head_of D)" = "$d_head" ] && [ "$(dir_digest "$DATA")" = "$d_digest" ] || fail "connect without --prefer changed D"
[ "$(remote_main import)" = "$seed_head" ] || fail "connect without --prefer changed the remote"

step "(e) --prefer remote: the remote's version wins where both have a path, D's own files stay, D's state is kept as a tag"
cli_ok connect --mount "$MNT" --remote "$IMPORT" --token-file "$GS_TOKEN_FILE" --prefer remote --json
cp "$T/cli.out" "$T/connect.json"
[ "$(json_get "$T/connect.json" '[j["was_empty"], j["result"]["imported"]]')" = '[false, "remote"]' ] ||
  fail "connect --prefer remote --json: $(cat "$T/connect.json")"
kept=$(json_get "$T/connect.json" 'j["result"]["kept_as_tag"]')
[[ "$kept" =~ ^before-connect-[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}-[0-9]{2}-[0-9]{2}Z$ ]] || fail "kept_as_tag: $kept"
[ "$(git_h rev-parse "refs/tags/$kept^{commit}")" = "$d_head" ] || fail "tag $kept is not D's HEAD before the connect"
[ "$(git_h show "$kept:both.md")" = "local D version" ] || fail "tag $kept lacks D's both.md"
file_is "$MNT/remote-only.md" "remote only" && file_is "$MNT/both.md" "remote version" ||
  fail "D's mount does not hold the remote's files"
file_is "$MNT/local-only.md" "local only" || fail "--prefer remote deleted D's own local-only.md (connect never deletes)"
[ "$(json_get "$T/connect.json" '[r["path"] for r in j["result"]["replaced"]]')" = '["both.md"]' ] ||
  fail "connect does not list both.md as decided by --prefer: $(cat "$T/connect.json")"
wait_synced
git_h merge-base --is-ancestor "$seed_head" HEAD || fail "D's HEAD does not contain the remote's history"
wait_until 15 "the import remote's main is D's HEAD" same_head_and_remote import D
[ "$(gs_repo import show main:local-only.md)" = "local only" ] || fail "D's own file did not reach the remote"
[ "$(gs_repo import show main:remote-only.md)" = "remote only" ] || fail "the remote lost remote-only.md"

step "(e) --prefer local over http:// with --token-env: E's files stay, the remote's are added, its history merged in"
workspace E
echo "e only" >"$DATA/e-only.md"
echo "local E version" >"$DATA/both.md"
HISTFS_TEST_TOKEN=$GS_TOKEN mount_as E
import_head=$(remote_main import)
E_URL=$GS_HTTP_URL/import.git
cli_ok connect --mount "$MNT" --remote "$E_URL" --token-env HISTFS_TEST_TOKEN --prefer local --json
cp "$T/cli.out" "$T/connect.json"
[ "$(json_get "$T/connect.json" 'j["result"]["imported"]')" = local ] || fail "connect --prefer local: $(cat "$T/connect.json")"
[ "$(git config --file "$GITDIR/config" histfs.tokenEnv)" = HISTFS_TEST_TOKEN ] || fail "histfs.tokenEnv: $(histfs_keys "$GITDIR")"
[ -z "$(git config --file "$GITDIR/config" histfs.tokenFile)" ] || fail "histfs.tokenFile set for a --token-env connect"
[ "$(git config --file "$GITDIR/config" histfs.remoteUrl)" = "$E_URL" ] || fail "histfs.remoteUrl: $(histfs_keys "$GITDIR")"
file_is "$MNT/both.md" "local E version" && file_is "$MNT/e-only.md" "e only" || fail "--prefer local changed E's own files"
file_is "$MNT/remote-only.md" "remote only" || fail "--prefer local did not bring the remote's own files"
wait_synced
git_h merge-base --is-ancestor "$import_head" HEAD || fail "E's HEAD does not contain the remote's history"
[ "$(git_h rev-list --parents -n 1 HEAD | wc -w)" = 3 ] || fail "E's HEAD is not a merge commit"
wait_until 15 "the import remote's main is E's HEAD" same_head_and_remote import E
[ "$(gs_repo import show main:both.md)" = "local E version" ] || fail "the remote's both.md is not E's"

# =============================================================================================
step "(i) a file:// remote"
workspace F
echo "f file" >"$DATA/f.md"
mount_as F --set git.allowNonFF=true
FILE_REMOTE=$T/file-remote.git
git init -q --bare -b main "$FILE_REMOTE"
cli_ok connect --mount "$MNT" --remote "file://$FILE_REMOTE" --json
[ "$(git --git-dir "$FILE_REMOTE" rev-parse -q --verify main)" = "$(head_of F)" ] || fail "file:// connect did not push"
echo "f2" >"$MNT/f2.md"
wait_until 15 "f2.md reaches the file:// remote" eval '[ "$(git --git-dir "$FILE_REMOTE" show main:f2.md 2>/dev/null)" = f2 ]'
wait_until 15 "the file:// remote's main is F's HEAD" eval '[ "$(git --git-dir "$FILE_REMOTE" rev-parse main)" = "$(head_of F)" ]'
git --git-dir "$FILE_REMOTE" fsck --strict --no-progress >/dev/null 2>&1 || fail "git fsck of the file:// remote failed"
# Someone else pushes to the file:// remote (no webhook there): `histfs pull` brings it in.
other=$T/other-clone
git clone -q "file://$FILE_REMOTE" "$other" 2>/dev/null
echo "from elsewhere" >"$other/elsewhere.md"
git -C "$other" add elsewhere.md && git -C "$other" -c user.name=x -c user.email=x@example.invalid commit -qm elsewhere &&
  git -C "$other" push -q origin main 2>/dev/null
cli_ok pull --mount "$MNT" --json
[ "$(json_get "$T/cli.out" '[j["pulled"], j["fast_forward"]]')" = "[true, true]" ] || fail "pull from file://: $(cli_out)"
file_is "$MNT/elsewhere.md" "from elsewhere" || fail "elsewhere.md did not arrive through the pull"
wait_synced

step "(i) with git.allowNonFF=true a force-pushed remote is merged, not refused"
git -C "$other" reset -q --hard HEAD~1
echo "rewritten" >"$other/rewritten.md"
git -C "$other" add rewritten.md && git -C "$other" -c user.name=x -c user.email=x@example.invalid commit -qm rewrite &&
  git -C "$other" push -q --force origin main 2>/dev/null
forced=$(git --git-dir "$FILE_REMOTE" rev-parse main)
cli_ok pull --mount "$MNT" --json
[ "$(json_get "$T/cli.out" '[j["pulled"], "refused" in j]')" = "[true, false]" ] || fail "pull with allowNonFF: $(cli_out)"
file_is "$MNT/rewritten.md" "rewritten" && file_is "$MNT/elsewhere.md" "from elsewhere" ||
  fail "after the allowNonFF merge F lacks rewritten.md or elsewhere.md"
git_h merge-base --is-ancestor "$forced" HEAD || fail "F's HEAD does not contain the rewritten remote"
wait_until 15 "the file:// remote's main is F's HEAD" eval '[ "$(git --git-dir "$FILE_REMOTE" rev-parse main)" = "$(head_of F)" ]'
wait_synced

step "(j) connect --git-dir for a git dir not mounted now: the next mount pushes before anything else"
workspace G
echo "g file" >"$DATA/g.md"
G_REMOTE=$T/g-remote.git
git init -q --bare -b main "$G_REMOTE"
cli_ok connect --git-dir "$GITDIR" --remote "$G_REMOTE"
[ "$(git config --file "$GITDIR/config" histfs.remoteUrl)" = "$G_REMOTE" ] || fail "--git-dir connect: $(histfs_keys "$GITDIR")"
mount_as G
wait_until 15 "G's first commit reaches its remote" eval '[ "$(git --git-dir "$G_REMOTE" rev-parse -q --verify main)" = "$(head_of G)" ]'
[ "$(git --git-dir "$G_REMOTE" show main:g.md)" = "g file" ] || fail "g.md is not on G's remote"

# =============================================================================================
step "no token in any log, git config or git dir; every daemon alive, every repo sound"
for n in A B C D E F G H; do
  on "$n"
  alive "$DAEMON_PID" || fail "the daemon of $n died"
  for f in "$LOG" "$T/mount.err" "$GITDIR/config"; do
    [ -e "$f" ] || continue
    ! grep -qF "$GS_TOKEN" "$f" || fail "the token appears in $f"
    ! grep -qF "wrong-token-" "$f" || fail "the wrong token appears in $f"
  done
  ! grep -rqaF "$GS_TOKEN" "$GITDIR" || fail "the token appears in $n's git dir: $(grep -rlaF "$GS_TOKEN" "$GITDIR")"
  assert_fsck
done
[ -n "$(histfs_keys "${W_GIT[A]}")" ] || fail "A's histfs.* keys vanished"
gs_repo shared fsck --strict --no-progress >/dev/null 2>&1 || fail "git fsck of the server's shared repo failed"
finish "remote backup and pull (merge on $merger) in ${SECONDS}s"
