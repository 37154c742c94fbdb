#!/usr/bin/env bash
# .history offers a small file's bytes to the kernel's page cache at its first open
# (fs/history_view.cpp, offer_content): the first `tar` of a snapshot sends no READ and no GETATTR
# a file, and reads what `git archive` gives. Files over 1 MiB, and every file once the kernel has
# dropped its caches, are read through READ as before and read the same. Many readers at once of
# files nobody opened yet (the offers wait for page locks that readers hold) do not hang the mount.
source "$(dirname "$0")/lib.sh"
require_fuse
require_python
cd /

new_workspace
step "a tree of 300 small files, an empty one and a 3 MiB one; a mount with metrics"
for d in $(seq 10); do
  mkdir -p "$DATA/d$d"
  for f in $(seq 30); do printf 'folder %s, note %s\n%0*d\n' "$d" "$f" $((d * 97 + f * 13)) 0 >"$DATA/d$d/n$f.md"; done
done
: >"$DATA/empty.md"
head -c 3M /dev/urandom >"$DATA/big.bin"
mount_histfs --set git.metrics.listen=127.0.0.1:0
metrics_port() { grep -o 'metrics on http://127.0.0.1:[0-9]*' "$LOG" | tail -n 1 | sed 's/.*://'; }
metrics_up() { [ -n "$(metrics_port)" ]; }
wait_for "the metrics listener is up" metrics_up
PORT=$(metrics_port)
# ops NAME: how many FUSE requests of that kind the daemon has served
ops() {
  curl -sf "http://127.0.0.1:$PORT/metrics" | sed -nE "s/^histfs_fuse_operations_total\{op=\"$1\"\} ([0-9.e+]+)$/\1/p" |
    awk '{ printf "%d", $1 }'
}
cli_ok snapshot s1 --mount "$MNT"
ref=$T/ref
mkdir "$ref"
git_h archive s1 | tar -x -C "$ref"

step "the first tar of the snapshot's folders sends no READ and no GETATTR a file"
reads=$(ops read) getattrs=$(ops getattr)
(cd "$MNT/.history/s1" && tar cf - d1 d2 d3 d4 d5 empty.md) >"$T/first.tar"
[ "$(($(ops read) - reads))" = 0 ] || fail "$(($(ops read) - reads)) READs for 151 files offered at open"
[ "$(($(ops getattr) - getattrs))" -lt 20 ] || fail "$(($(ops getattr) - getattrs)) GETATTRs for 151 files"
mkdir "$T/first"
tar -x -C "$T/first" -f "$T/first.tar"
for d in d1 d2 d3 d4 d5; do diff -r "$ref/$d" "$T/first/$d" >&2 || fail "$d read through .history differs from git archive"; done
if [ ! -f "$T/first/empty.md" ] || [ -s "$T/first/empty.md" ]; then fail "empty.md is not an empty file"; fi

step "a file over 1 MiB is read through READ, byte for byte"
reads=$(ops read)
cmp "$ref/big.bin" "$MNT/.history/s1/big.bin" || fail "big.bin differs from git"
[ "$(($(ops read) - reads))" -gt 0 ] || fail "big.bin was read without a READ"

step "after the kernel drops its caches the offered files read the same (through READ)"
sync
echo 3 >/proc/sys/vm/drop_caches
reads=$(ops read)
diff -r "$ref/d1" "$MNT/.history/s1/d1" >&2 || fail "d1 differs after drop_caches"
[ "$(($(ops read) - reads))" -gt 0 ] || fail "no READ after the kernel dropped its caches"

step "16 readers at once of 150 files nobody opened yet: all done, all right"
pids=()
for i in $(seq 16); do
  (for d in d6 d7 d8 d9 d10; do cat "$MNT/.history/s1/$d"/*; done | sha256sum >"$T/r$i.part" && mv "$T/r$i.part" "$T/r$i.sum") &
  pids+=($!)
done
all_read() { for i in $(seq 16); do [ -f "$T/r$i.sum" ] || return 1; done; }
wait_until 120 "the 16 readers end" all_read
wait "${pids[@]}"
want=$(for d in d6 d7 d8 d9 d10; do cat "$ref/$d"/*; done | sha256sum)
for i in $(seq 16); do [ "$(cat "$T/r$i.sum")" = "$want" ] || fail "reader $i read other bytes"; done
ls "$MNT" >/dev/null || fail "the mount does not answer after the readers"

unmount_histfs
finish "first reads of .history without READ; big and evicted files through READ; 16 readers"
