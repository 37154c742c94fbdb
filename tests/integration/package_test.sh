#!/usr/bin/env bash
# The .deb: `cpack -G DEB` in the build dir of $HISTFS makes it. dpkg-deb -c lists the binary, the
# unit, a man page for histfs and for each of its commands, the bash completion and the default
# config (a conffile); no maintainer script (installing enables or starts nothing). Extracted with
# dpkg -x into a temp tree: the binary runs, the config is one it accepts, the man pages are pages,
# and the completion completes commands, options and choices.
source "$(dirname "$0")/lib.sh"
for tool in cpack dpkg-deb dpkg; do command -v "$tool" >/dev/null || fail "$tool is not installed (tools/install-deps)"; done
HISTFS=$(realpath "$HISTFS")
BUILD=$(dirname "$HISTFS")
[ -f "$BUILD/CPackConfig.cmake" ] || fail "no CPackConfig.cmake beside $HISTFS"
new_workspace
cd "$T"

step "cpack -G DEB"
(cd "$BUILD" && cpack -G DEB -B "$T/pkg") >"$T/cpack.out" 2>&1 || fail "cpack failed: $(tail -n 20 "$T/cpack.out")"
debs=("$T"/pkg/histfs_*.deb)
[ -f "${debs[0]}" ] || fail "cpack made no histfs_*.deb: $(ls "$T/pkg")"
DEB=${debs[0]}
echo "$(basename "$DEB"): $(du -h "$DEB" | cut -f1)"

step "dpkg-deb -c lists the binary, unit, man pages, completion and config"
dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|' >"$T/files"
for file in /usr/bin/histfs /usr/lib/systemd/system/histfs@.service /usr/share/man/man1/histfs.1.gz \
  /usr/share/bash-completion/completions/histfs /etc/histfs/config.json; do
  grep -qxF "$file" "$T/files" || fail "the package lacks $file; it has: $(grep -v '/$' "$T/files")"
done
# One page per command `histfs --help` lists, made from that command's own --help.
mapfile -t commands < <("$HISTFS" --help | sed -n '/^Subcommands:/,$ s/^  \([a-z][a-z0-9-]*\) .*/\1/p')
((${#commands[@]} >= 10)) || fail "histfs --help lists only ${#commands[@]} commands"
for command in "${commands[@]}"; do
  grep -qxF "/usr/share/man/man1/histfs-$command.1.gz" "$T/files" || fail "no man page for histfs $command"
done

step "control: the config is a conffile, fuse3 a dependency, no maintainer scripts"
dpkg-deb -e "$DEB" "$T/control"
grep -qxF /etc/histfs/config.json "$T/control/conffiles" || fail "/etc/histfs/config.json is not a conffile"
for script in preinst postinst prerm postrm; do
  [ ! -e "$T/control/$script" ] || fail "the package has a $script: $(cat "$T/control/$script")"
done
depends=$(dpkg-deb -f "$DEB" Depends)
for package in fuse3 libfuse3 libgit2 libsystemd0; do
  grep -q "$package" <<<"$depends" || fail "Depends lacks $package: $depends"
done

step "dpkg -x: the extracted binary runs and accepts the packaged config"
dpkg -x "$DEB" "$T/root"
"$T/root/usr/bin/histfs" --help >"$T/help.out" || fail "the extracted histfs --help failed"
grep -q '^Subcommands:' "$T/help.out" || fail "unexpected --help: $(cat "$T/help.out")"
[ "$("$T/root/usr/bin/histfs" --version)" = "$("$HISTFS" --version)" ] || fail "the packaged binary is another version"
# The config is read first: an error about the backing dir means the config passed.
rc=0
"$T/root/usr/bin/histfs" mount "$T/absent" "$T/absent" --config "$T/root/etc/histfs/config.json" 2>"$T/config.err" || rc=$?
[ "$rc" = 2 ] && grep -q "backing directory $T/absent does not exist" "$T/config.err" ||
  fail "the packaged config is refused: $(cat "$T/config.err")"

step "the man pages are man pages for their commands"
page() { gzip -dc "$T/root/usr/share/man/man1/$1.1.gz"; }
page histfs | grep -q '^\.TH HISTFS ' || fail "histfs.1 has no .TH HISTFS header"
page histfs | grep -q 'histfs-mount (1)' || fail "histfs.1 does not refer to histfs-mount(1)"
page histfs | grep -q 'fuse.histfs' || fail "histfs.1 does not say how to mount from fstab"
page histfs-mount | grep -q '^\.TH HISTFS-MOUNT ' || fail "histfs-mount.1 has no .TH HISTFS-MOUNT header"
page histfs-mount | grep -q 'git\\-dir' || fail "histfs-mount.1 does not list --git-dir"
page histfs-restore | grep -q 'dry\\-run' || fail "histfs-restore.1 does not list --dry-run"

step "the completion completes commands, options and choices"
complete_words() { # complete_words WORD...: what the completion offers for the last WORD
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _histfs; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$T/root/usr/share/bash-completion/completions/histfs" "$@"
}
[ "$(complete_words histfs unm)" = unmount ] || fail "histfs unm<TAB>: $(complete_words histfs unm)"
complete_words histfs sta | grep -qx status || fail "histfs sta<TAB>: $(complete_words histfs sta)"
[ "$(complete_words histfs mount --git-d)" = --git-dir ] || fail "histfs mount --git-d<TAB>: $(complete_words histfs mount --git-d)"
[ "$(complete_words histfs mount --history "" | sort | tr '\n' ' ')" = "hidden off visible " ] ||
  fail "histfs mount --history <TAB>: $(complete_words histfs mount --history "")"
complete_words histfs restore --to HEAD --dr | grep -qx -- --dry-run || fail "histfs restore --to HEAD --dr<TAB>"

finish "the .deb has the binary, unit, man pages, completion and config, and no maintainer scripts"
