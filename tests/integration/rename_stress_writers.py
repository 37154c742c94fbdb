#!/usr/bin/env python3
"""Writers for rename_stress_test.sh: N processes doing random namespace operations and rewrites
in folders nested up to 3 deep, with few names so they collide.

usage: rename_stress_writers.py ROOT SEED WRITERS OPS
Each writer runs OPS operations chosen by random.Random(SEED * 1000 + writer); errors that
concurrent writers cause each other (ENOENT, ENOTEMPTY, EISDIR, ...) are part of the game and
ignored. Prints one line: how many operations of each kind succeeded.
"""
import ctypes
import errno
import os
import random
import sys

DIRS = ["a", "b", "c", "d"]
FILES = ["f0", "f1", "f2", "f3", "f4"]
RENAME_EXCHANGE = 2
AT_FDCWD = -100
EXPECTED = {errno.ENOENT, errno.ENOTEMPTY, errno.EISDIR, errno.ENOTDIR, errno.EEXIST, errno.EINVAL, errno.EBUSY}

libc = ctypes.CDLL(None, use_errno=True)
libc.renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]


def exchange(a, b):
    if libc.renameat2(AT_FDCWD, a.encode(), AT_FDCWD, b.encode(), RENAME_EXCHANGE) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def writer(root, seed, ident, ops):
    rnd = random.Random(seed * 1000 + ident)

    def folder(min_depth=0, depth=None):
        depth = rnd.randint(min_depth, 3) if depth is None else depth
        return os.path.join(root, *[rnd.choice(DIRS) for _ in range(depth)])

    # Folders move and swap only at their own depth, and files keep file names: the tree stays
    # within 3 folders of 4 names and 5 files each (and the daemon's fds well within 1024).
    def same_depth_folders():
        depth = rnd.randint(1, 3)
        return folder(depth=depth), folder(depth=depth)

    def file_path():
        return os.path.join(folder(), rnd.choice(FILES))

    def content(i):
        return (f"w{ident} op{i} seed{seed}\n" * rnd.randint(1, 40)).encode()

    def write_file(path, i, chunks=1):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            for _ in range(chunks):
                os.write(fd, content(i))
        finally:
            os.close(fd)

    def append(path, i):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, content(i))
        finally:
            os.close(fd)

    kinds = [
        ("write", 24, lambda i: write_file(file_path(), i)),
        ("write_chunks", 8, lambda i: write_file(file_path(), i, chunks=rnd.randint(2, 6))),
        ("append", 8, lambda i: append(file_path(), i)),
        ("mkdir", 8, lambda i: os.makedirs(folder(1), exist_ok=True)),
        ("rename_file", 14, lambda i: os.rename(file_path(), file_path())),
        ("rename_dir", 14, lambda i: os.rename(*same_depth_folders())),
        ("exchange", 8, lambda i: exchange(*rnd.choice([lambda: (file_path(), file_path()), same_depth_folders])())),
        ("unlink", 8, lambda i: os.unlink(file_path())),
        ("rmdir", 6, lambda i: os.rmdir(folder(1))),
        ("chmod", 2, lambda i: os.chmod(file_path(), rnd.choice([0o644, 0o755]))),
    ]
    weights = [w for _, w, _ in kinds]
    done = {name: 0 for name, _, _ in kinds}
    for i in range(ops):
        name, _, op = rnd.choices(kinds, weights)[0]
        try:
            op(i)
            done[name] += 1
        except OSError as e:
            if e.errno not in EXPECTED:
                raise
    return done


def main():
    root, seed, writers, ops = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    pids = []
    reads = []
    for ident in range(writers):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            code = 0
            try:
                done = writer(root, seed, ident, ops)
                os.write(w, (" ".join(f"{k}={v}" for k, v in done.items()) + "\n").encode())
            except BaseException as e:  # report, never hang the test
                os.write(w, f"ERROR writer {ident}: {e!r}\n".encode())
                code = 1
            os._exit(code)
        os.close(w)
        pids.append(pid)
        reads.append(r)
    totals = {}
    failed = False
    for pid, r in zip(pids, reads):
        with os.fdopen(r) as f:
            line = f.read().strip()
        _, status = os.waitpid(pid, 0)
        if status != 0 or line.startswith("ERROR"):
            print(line, file=sys.stderr)
            failed = True
            continue
        for item in line.split():
            k, v = item.split("=")
            totals[k] = totals.get(k, 0) + int(v)
    print(" ".join(f"{k}={v}" for k, v in sorted(totals.items())))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
