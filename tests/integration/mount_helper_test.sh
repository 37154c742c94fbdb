#!/usr/bin/env bash
# mount(8) and fstab: `mount -t fuse.histfs BACKING MOUNTPOINT -o OPTIONS` runs mount.fuse3, which
# runs `histfs BACKING MOUNTPOINT -o OPTIONS`. Checked for real: an fstab-style option list
# (histfs options, kernel options, and fstab's own, which are ignored), an fstab line, `ro`,
# umount(8) and `histfs unmount`, and the clear errors for unknown options and a missing mount point.
#
# mount(8) hands its helpers no PATH, so mount.fuse3's `sh -c histfs ...` finds histfs in the
# shell's default path only, which starts with /usr/local/sbin. The test runs in a mount namespace
# of its own and binds a directory holding a link to the built binary over /usr/local/sbin there:
# nothing outside the test sees it.
if [ -z "${HISTFS_OWN_NAMESPACE:-}" ]; then
  command -v unshare >/dev/null || { echo "SKIPPED ${0##*/}: unshare is not installed" >&2; exit 77; }
  HISTFS_OWN_NAMESPACE=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
require_fuse
HISTFS=$(realpath "$HISTFS")
cd /

helper_pid() { pgrep -f -- "^histfs $DATA $MNT -o " | head -n 1 || true; }
# run_mount ARGS...: mount(8) with ARGS; exit code in RC, stderr in $T/mount.err.
run_mount() {
  RC=0
  mount "$@" 2>"$T/mount.err" || RC=$?
}
mount_ok() {
  run_mount "$@"
  [ "$RC" = 0 ] || fail "mount $* exited with $RC: $(cat "$T/mount.err")"
  mountpoint -q "$MNT" || fail "mount returned but $MNT is not a mount point"
  DAEMON_PID=$(helper_pid)
  [ -n "$DAEMON_PID" ] || fail "no histfs daemon runs for $MNT: $(pgrep -af histfs)"
}
# mount_option NAME: the mount at $MNT has kernel option NAME.
mount_option() { findmnt -n -o OPTIONS --mountpoint "$MNT" | tr ',' '\n' | grep -qx -- "$1"; }

step "mount.fuse3 finds this build's histfs (and only through the shell's default path)"
new_workspace
SBIN=$T/sbin
mkdir "$SBIN"
ln -s "$HISTFS" "$SBIN/histfs"
mount --bind "$SBIN" /usr/local/sbin
[ "$(env -i /bin/sh -c 'command -v histfs')" = /usr/local/sbin/histfs ] || fail "the default path does not find histfs first"
cat >"$T/config.json" <<'EOF'
{ "git": { "commitQuiet": "200ms", "commitMaxDelay": "1s" } }
EOF

step "mount -t fuse.histfs with an fstab-style option list"
GITDIR=$T/elsewhere.git
echo a >"$DATA/a.md"
mount_ok -t fuse.histfs "$DATA" "$MNT" \
  -o "defaults,git_dir=$GITDIR,config=$T/config.json,log_file=$LOG,set=git.maxDelete=7,noatime,_netdev,x-systemd.automount,nofail,noauto,user"
[ -d "$GITDIR" ] || fail "git_dir= was not used: no $GITDIR"
mount_option noatime || fail "noatime did not reach the kernel: $(findmnt -n -o OPTIONS --mountpoint "$MNT")"
for option in _netdev nofail noauto defaults x-systemd.automount git_dir="$GITDIR"; do
  ! mount_option "$option" || fail "$option reached the kernel"
done
[ "$(cat "$MNT/a.md")" = a ] || fail "the mount does not show the backing dir"
echo b >"$MNT/b.md"
wait_synced
cli_ok status --mount "$MNT" --json
[ "$(json_get "$T/cli.out" 'j["git_dir"]')" = "$GITDIR" ] || fail "status names another git dir: $(cli_out)"

step "umount(8) ends it; the daemon commits what is pending and exits"
echo c >"$MNT/c.md"
umount "$MNT" || fail "umount $MNT failed"
wait_exit "$DAEMON_PID" || fail "the daemon is still running 15 s after umount"
assert_in_head a.md b.md c.md

step "an fstab line: mount MOUNTPOINT reads it"
echo "$DATA $MNT fuse.histfs defaults,git_dir=$GITDIR,config=$T/config.json,log_file=$LOG,_netdev,x-systemd.automount 0 0" \
  >"$T/fstab"
mount_ok --fstab "$T/fstab" "$MNT"
echo d >"$MNT/d.md"

step "histfs unmount returns once everything pending is committed"
cli_ok unmount "$MNT"
grep -q "everything pending is committed" "$T/cli.out" || fail "histfs unmount said: $(cli_out)"
! mountpoint -q "$MNT" || fail "$MNT is still mounted"
assert_in_head d.md
wait_exit "$DAEMON_PID" || fail "the daemon is still running after histfs unmount returned"
cli_error "no histfs mount at $MNT" unmount "$MNT"

step "ro: a read-only mount (history readable, writes refused)"
mount_ok -t fuse.histfs "$DATA" "$MNT" -o "ro,git_dir=$GITDIR,log_file=$LOG"
mount_option ro || fail "ro did not reach the kernel"
[ "$(cat "$MNT/d.md")" = d ] || fail "cannot read through the read-only mount"
if echo x 2>/dev/null >"$MNT/new.md"; then fail "a write through a read-only mount succeeded"; fi
cli_ok unmount "$MNT"

step "an unknown option: a clear error naming it, nothing mounted or created"
run_mount -t fuse.histfs "$DATA" "$MNT" -o "git_dir=$T/new.git,bogus,frobnicate=1,noatime"
[ "$RC" != 0 ] || fail "mount with unknown options succeeded"
grep -q "unknown mount option(s): bogus, frobnicate=1" "$T/mount.err" || fail "the error does not name them: $(cat "$T/mount.err")"
! mountpoint -q "$MNT" || fail "$MNT was mounted despite the unknown options"
[ ! -e "$T/new.git" ] || fail "the git dir was created despite the unknown options"

step "the helper form's other mistakes: a missing value, a value for a flag, a missing mount point"
cli "$DATA" "$MNT" -o git_dir
[ "$CLI_RC" = 2 ] && grep -q "git_dir needs a value" "$T/cli.err" || fail "git_dir without a value: $CLI_RC $(cli_err)"
cli "$DATA" "$MNT" -o xattr=yes
[ "$CLI_RC" = 2 ] && grep -q "xattr takes no value" "$T/cli.err" || fail "xattr=yes: $CLI_RC $(cli_err)"
cli "$DATA" -o "git_dir=$T/new.git"
[ "$CLI_RC" = 2 ] && grep -q "the mount point is missing" "$T/cli.err" || fail "no mount point: $CLI_RC $(cli_err)"
[ ! -e "$T/new.git" ] || fail "a failed helper call created the git dir"

step "subcommands are still subcommands; a typo is not taken for a mount"
cli stauts
[ "$CLI_RC" = 2 ] || fail "histfs stauts exited with $CLI_RC"
! grep -qi "backing directory" "$T/cli.err" || fail "histfs stauts was taken for a mount: $(cli_err)"
cli_ok --help
grep -q "unmount" "$T/cli.out" || fail "histfs --help does not list unmount"

finish "mount -t fuse.histfs, fstab lines, ro, umount and histfs unmount, option errors"
