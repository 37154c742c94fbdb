#!/usr/bin/env bash
# GitHub App authentication against the real test git server (git_server.sh), whose auth asks the
# GitHub API fixture (github_api_fixture.py): it checks the App JWT's RS256 signature, iat, exp and
# iss, issues installation tokens that live 4 s, and the git server accepts only a token valid now.
#  (a) a key readable by others, a wrong app id, a wrong installation, the API down: clear errors,
#      nothing saved;
#  (b) --create-repo for an organization: a private repo is made, the mount pushes into it and keeps
#      pushing across several token renewals with nothing lost, and again after a remount; status
#      shows the App, not the token; Git LFS uses the same token;
#  (c) every token revoked mid-session (401): renewed and retried; a rate-limited exchange (429 with
#      Retry-After) is waited out; malformed JSON and an already expired token are clear API errors;
#  (d) --create-repo of a name that exists (422): reported, untouched; --use-existing connects;
#  (e) --create-repo for a user account with --token-file (connect --git-dir);
#  (f) the key and every token issued appear nowhere: log, git dirs, status --json, command lines.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/git_server.sh"
require_fuse
require_python
FIXTURE=$(cd "$(dirname "$0")" && pwd)/github_api_fixture.py
cd /

FX=$(mktemp -d /tmp/histfs-ghapp.XXXXXX)
WORKSPACES+=("$FX")
APP_ID=4242 INSTALLATION=777
openssl genrsa -out "$FX/app.pem" 2048 2>/dev/null || fail "openssl cannot make the App key"
chmod 600 "$FX/app.pem"
openssl rsa -in "$FX/app.pem" -pubout -out "$FX/app.pub" 2>/dev/null || fail "openssl cannot write the public key"
USER_TOKEN=ghu_$(openssl rand -hex 16)
printf '%s\n' "$USER_TOKEN" >"$FX/user-token"
chmod 600 "$FX/user-token"

step "start the GitHub API fixture and the git server that asks it"
"$PY" "$FIXTURE" --app-id "$APP_ID" --installation-id "$INSTALLATION" \
  --public-key "$FX/app.pub" --token-lifetime 4 --user-token "$USER_TOKEN" --issued-file "$FX/issued" \
  >"$FX/port" 2>"$FX/fixture.log" &
GS_BG_PIDS+=($!)
wait_for "the fixture prints its port" test -s "$FX/port"
API=http://127.0.0.1:$(cat "$FX/port")
# shellcheck disable=SC2034 # read by git_server_start
GS_AUTH_URL=$API/auth
git_server_start
control() { curl -sf -X POST "$API/_control" -d "$1" >/dev/null || fail "fixture control $1 failed"; }
stat_of() { curl -sf "$API/_stats" | "$PY" -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
control "{\"clone_base\": \"$GS_URL\", \"repos_dir\": \"$GS_ROOT\"}"
APP=(--github-app-id "$APP_ID" --installation-id "$INSTALLATION" --private-key-file "$FX/app.pem" --api-url "$API")
remote_has() { gs_repo "$1" cat-file -e "main:$2" 2>/dev/null; }

workspace A
echo "first" >"$DATA/first.txt"
mount_named A --set "git.caFile=$GS_BUNDLE"

step "(a) a private key readable by others is refused, as ssh does; nothing saved"
cp "$FX/app.pem" "$FX/open.pem"
chmod 644 "$FX/open.pem"
cli_error "readable by others" connect --mount "$MNT" --github-app-id "$APP_ID" --installation-id "$INSTALLATION" \
  --private-key-file "$FX/open.pem" --api-url "$API" --create-repo acme/notes
[ -z "$(histfs_keys "$GITDIR")" ] || fail "a refused connect saved: $(histfs_keys "$GITDIR")"

step "(a) a wrong app id, a wrong installation, the API down: clear errors, nothing saved"
cli_error "refused the App's JWT" connect --mount "$MNT" --github-app-id 999 --installation-id "$INSTALLATION" \
  --private-key-file "$FX/app.pem" --api-url "$API" --create-repo acme/notes
cli_error "no such installation" connect --mount "$MNT" --github-app-id "$APP_ID" --installation-id 1 \
  --private-key-file "$FX/app.pem" --api-url "$API" --create-repo acme/notes
cli_error "no usable answer" connect --mount "$MNT" --github-app-id "$APP_ID" --installation-id "$INSTALLATION" \
  --private-key-file "$FX/app.pem" --api-url "http://127.0.0.1:$(free_port)" --create-repo acme/notes
[ -z "$(histfs_keys "$GITDIR")" ] || fail "a failed connect saved: $(histfs_keys "$GITDIR")"
[ ! -e "$GS_ROOT/notes.git" ] || fail "a failed connect created the repository"

step "(b) --create-repo acme/notes: a new private repo, everything pushed through the App's token"
cli_ok connect --mount "$MNT" "${APP[@]}" --create-repo acme/notes --json
cp "$T/cli.out" "$T/connect.json"
[ "$(json_get "$T/connect.json" '[j["created_repo"], j["was_empty"], j["result"]["pushed"]]')" = \
  '["acme/notes", true, true]' ] || fail "connect --json: $(cat "$T/connect.json")"
remote_has notes first.txt || fail "first.txt is not on the created remote"
[ "$(git config --file "$GITDIR/config" histfs.auth)" = github-app ] || fail "the auth kind was not remembered"
[ -z "$(git config --file "$GITDIR/config" histfs.tokenFile)" ] || fail "a token file was remembered"

step "(b) pushing keeps working across several token renewals (tokens live 4 s), nothing lost"
issued_before=$(stat_of issued)
i=0
while ((i < 4)) || (($(stat_of issued) < issued_before + 3)); do
  i=$((i + 1))
  echo "change $i" >"$MNT/renewal-$i.txt"
  wait_for "renewal-$i.txt is pushed" remote_has notes "renewal-$i.txt"
  ((i < 40)) || fail "no token renewals after $i pushes"
done
for ((j = 1; j <= i; j++)); do
  [ "$(gs_repo notes cat-file -p "main:renewal-$j.txt")" = "change $j" ] || fail "renewal-$j.txt is wrong on the remote"
done
cli_ok status --mount "$MNT" --json
cp "$T/cli.out" "$T/status.json"
[ "$(json_get "$T/status.json" '[j["remote"]["auth"][k] for k in ("kind", "app_id", "installation_id")]')" = \
  "[\"github-app\", \"$APP_ID\", \"$INSTALLATION\"]" ] || fail "status --json auth: $(cat "$T/status.json")"
json_get "$T/status.json" 'j["remote"]["auth"]["token_expires_at"]' | grep -qE '^20[0-9-]+T' ||
  fail "status shows no token expiry: $(cat "$T/status.json")"
cli_ok status --mount "$MNT"
grep -q "GitHub App $APP_ID, installation $INSTALLATION, token expires" "$T/cli.out" ||
  fail "status does not show the App: $(cli_out)"

step "(b) a file stored in Git LFS goes up with the same App token"
printf 'not really a png %s\n' "$RANDOM" >"$MNT/photo.png"
oid=$(sha256sum "$MNT/photo.png" | cut -d' ' -f1)
wait_for "photo.png is pushed" remote_has notes photo.png
[ -f "$GS_ROOT/notes.git/lfs/objects/${oid:0:2}/${oid:2:2}/$oid" ] || fail "photo.png's LFS object is not on the server"

step "(c) every token revoked mid-session (401): the push renews the token and retries"
# A token near its expiry is renewed before it is used, so the one revoked must have long to live:
# push until the daemon holds a token issued with a 10-minute lifetime.
control '{"token_lifetime": 600}'
issued_before=$(stat_of issued)
i=0
while (($(stat_of issued) == issued_before)); do
  i=$((i + 1))
  echo "long $i" >"$MNT/long-lived-$i.txt"
  wait_for "long-lived-$i.txt is pushed" remote_has notes "long-lived-$i.txt"
  ((i < 20)) || fail "no token renewal after $i pushes"
done
control '{"revoke": true}'
echo revoked >"$MNT/after-revoke.txt"
wait_for "after-revoke.txt is pushed" remote_has notes after-revoke.txt
grep -q "refused the installation token: renewing it" "$LOG" || fail "the 401 did not make the push renew its token"

step "(c) a rate-limited token exchange (429, Retry-After: 1) is waited out"
limited_before=$(stat_of rate_limited)
control '{"revoke": true, "rate_limit": 1}'
echo limited >"$MNT/after-limit.txt"
wait_for "after-limit.txt is pushed" remote_has notes after-limit.txt
(($(stat_of rate_limited) > limited_before)) || fail "the rate limit was never hit"

step "(c) malformed JSON and an already expired token: clear API errors in status, then recovery"
control '{"revoke": true, "bad_json": 1}'
echo "bad json" >"$MNT/after-bad-json.txt"
wait_for "after-bad-json.txt is pushed" remote_has notes after-bad-json.txt
grep -q "malformed JSON" "$LOG" || fail "the malformed answer is not in the log"
control '{"revoke": true, "expired": 1}'
echo expired >"$MNT/after-expired.txt"
wait_for "after-expired.txt is pushed" remote_has notes after-expired.txt
grep -q "already expired" "$LOG" || fail "the expired token answer is not in the log"

step "(b) a new mount of the git dir authenticates through the App again (the auth kind was remembered)"
unmount_histfs
mount_named A --set "git.caFile=$GS_BUNDLE"
echo remounted >"$MNT/after-remount.txt"
wait_for "after-remount.txt is pushed" remote_has notes after-remount.txt

step "(d) --create-repo of a name that exists (422): reported, the repo untouched; --use-existing connects"
workspace B
echo "b's own" >"$DATA/b.txt"
mount_named B --set "git.caFile=$GS_BUNDLE"
notes_main=$(remote_main notes)
cli_error "already exists" connect --mount "$MNT" "${APP[@]}" --create-repo acme/notes
[ "$(remote_main notes)" = "$notes_main" ] || fail "the 422 changed the existing repository"
[ -z "$(histfs_keys "$GITDIR")" ] || fail "a 422 connect saved: $(histfs_keys "$GITDIR")"
cli_ok connect --mount "$MNT" "${APP[@]}" --create-repo acme/notes --use-existing --prefer remote
if [ ! -f "$MNT/after-expired.txt" ] || [ ! -f "$MNT/b.txt" ]; then fail "B did not import the existing repository"; fi

step "(e) --create-repo for a user account with --token-file (a user token), on an unmounted git dir"
control "{\"clone_base\": \"$GS_HTTP_URL\"}"
cli_ok connect --git-dir "$FX/offline.git" "${APP[@]}" --create-repo tester/personal --token-file "$FX/user-token"
[ -d "$GS_ROOT/personal.git" ] || fail "the user's repository was not created"
[ "$(git config --file "$FX/offline.git/config" histfs.remoteUrl)" = "$GS_HTTP_URL/personal.git" ] ||
  fail "the created repository was not remembered: $(histfs_keys "$FX/offline.git")"
[ -z "$(git config --file "$FX/offline.git/config" histfs.tokenFile)" ] || fail "the user token file was remembered"
cli_error "already exists" connect --git-dir "$FX/offline2.git" "${APP[@]}" --create-repo tester/personal \
  --token-file "$FX/user-token"
[ ! -e "$FX/offline2.git" ] || fail "a refused offline connect created its git dir"

step "(f) neither the key nor any token issued is in a log, a git dir, status --json or a command line"
on A
cli_ok status --mount "$MNT" --json
cp "$T/cli.out" "$FX/status-a.json"
on B
cli_ok status --mount "$MNT" --json
cp "$T/cli.out" "$FX/status-b.json"
tr '\0' ' ' <"/proc/${W_PID[A]}/cmdline" >"$FX/cmdline-a"
tr '\0' ' ' <"/proc/${W_PID[B]}/cmdline" >"$FX/cmdline-b"
[ "$(wc -l <"$FX/issued")" -ge 5 ] || fail "only $(wc -l <"$FX/issued") tokens were issued"
key_line=$(sed -n 5p "$FX/app.pem")
scanned=("${W_LOG[A]}" "${W_LOG[B]}" "${W_GIT[A]}" "${W_GIT[B]}" "$FX/offline.git" "$FX/status-a.json"
  "$FX/status-b.json" "$FX/cmdline-a" "$FX/cmdline-b")
while read -r secret; do
  if grep -rqF -- "$secret" "${scanned[@]}"; then fail "a token issued by the fixture leaked: $(grep -rlF -- "$secret" "${scanned[@]}")"; fi
done < <(cat "$FX/issued"; echo "$USER_TOKEN"; echo "$key_line")

finish "GitHub App: JWT, renewals, 401 and 429 handled, repo creation, nothing leaked"
