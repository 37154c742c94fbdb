#!/usr/bin/env python3
"""notify_listener.py SOCKET MOUNTPOINT OUT: stands in for systemd's notify socket.

Receives sd_notify datagrams on SOCKET and appends one line per message to OUT. For READY=1 it
first looks at the mount as systemd's clients would: "READY mounted=yes|no answers=yes|no", where
mounted says /proc/self/mountinfo has a fuse.histfs mount at MOUNTPOINT and answers says a
statfs of it was served by FUSE. Other messages are written as they came, one field a line.
Ends after STOPPING=1 or 120 s.
"""
import os
import socket
import sys
import time

FUSE_SUPER_MAGIC = 0x65735546


def mounted(mountpoint):
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            if fields[4] == mountpoint and fields[sep + 1] == "fuse.histfs":
                return True
    return False


def answers(mountpoint):
    try:
        import ctypes
        buf = ctypes.create_string_buffer(256)
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.statfs(mountpoint.encode(), buf) != 0:
            return False
        return int.from_bytes(buf.raw[:8], sys.byteorder) == FUSE_SUPER_MAGIC
    except OSError:
        return False


def main():
    path, mountpoint, out = sys.argv[1:4]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path + ".tmp")
    os.rename(path + ".tmp", path)  # the socket appears only once it is bound
    sock.settimeout(1)
    deadline = time.time() + 120
    with open(out, "a", encoding="utf-8") as log:
        while time.time() < deadline:
            try:
                message = sock.recv(4096).decode()
            except socket.timeout:
                continue
            for field in message.split("\n"):
                if field == "READY=1":
                    yes = lambda ok: "yes" if ok else "no"
                    is_mounted = mounted(mountpoint)
                    log.write(f"READY mounted={yes(is_mounted)} answers={yes(is_mounted and answers(mountpoint))}\n")
                elif field:
                    log.write(field + "\n")
            log.flush()
            if "STOPPING=1" in message.split("\n"):
                break


main()
