#!/usr/bin/env python3
"""Reads a systemd unit as systemd would, for the tests (no systemd needed).

  unit_exec.py escape PATH
      the instance name of PATH (as `systemd-escape --path PATH`)
  unit_exec.py command UNIT INSTANCE KEY --root DIR --histfs BINARY
      the first KEY= command line (ExecStart, ExecStop, ExecStopPost) of template UNIT for INSTANCE,
      expanded: specifiers (%i %I %f %n %p %%), Environment= then EnvironmentFile= (which wins),
      "$VAR" as zero or more words and "${VAR}" within a word. Printed NUL-separated, first the
      word "strict" or "ignore-failure" (a "-" prefix), then argv. Paths under /etc/ (an
      EnvironmentFile=, a word of the command) are taken below DIR, and a command named histfs
      becomes BINARY.
"""
import os
import re
import shlex
import sys

SAFE = re.compile(r"[A-Za-z0-9:_.]")


def escape_path(path):
    path = path.strip("/") or "-"
    out = []
    for i, ch in enumerate(path):
        if ch == "/":
            out.append("-")
        elif SAFE.match(ch) and not (i == 0 and ch == "."):
            out.append(ch)
        else:
            out.extend("\\x%02x" % b for b in ch.encode())
    return "".join(out)


def unescape(text):
    return re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), text.replace("-", "/"))


def read_unit(path):
    """{section: [(key, value)]}, continuation lines joined, comments dropped."""
    sections, section, pending = {}, None, ""
    for raw in open(path, encoding="utf-8"):
        line = pending + raw.rstrip("\n")
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if stripped.startswith("["):
            section = stripped.strip("[]")
            sections.setdefault(section, [])
            continue
        key, _, value = stripped.partition("=")
        sections[section].append((key.strip(), value.strip()))
    return sections


def specifiers(text, unit_name, instance):
    table = {"i": instance, "I": unescape(instance), "f": "/" + unescape(instance).lstrip("/"),
             "n": unit_name, "N": unit_name.rsplit(".", 1)[0], "p": unit_name.split("@")[0], "%": "%"}
    return re.sub(r"%(.)", lambda m: table[m.group(1)], text)


def below(root, path):
    return os.path.join(root, path.lstrip("/")) if path.startswith("/etc/") else path


def environment(service, unit_name, instance, root):
    env = {}
    for key, value in service:
        if key == "Environment":
            for word in shlex.split(specifiers(value, unit_name, instance)):
                name, _, val = word.partition("=")
                env[name] = val
    for key, value in service:
        if key == "EnvironmentFile":
            value = specifiers(value, unit_name, instance)
            optional = value.startswith("-")
            path = value.lstrip("-")
            path = below(root, path)
            if not os.path.exists(path):
                if optional:
                    continue
                sys.exit(f"unit_exec: EnvironmentFile {path} is missing")
            for line in open(path, encoding="utf-8"):
                line = line.strip()
                if line and line[0] not in "#;":
                    name, _, val = line.partition("=")
                    words = shlex.split(val) if val.strip() else [""]
                    env[name.strip()] = " ".join(words)
    return env


def expand_word(word, env):
    whole = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
    if whole:  # $VAR alone: split at whitespace, zero or more words
        return env.get(whole.group(1), "").split()
    return [re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: env.get(m.group(1), ""), word)]


def command(unit, instance, key, root, histfs):
    template = os.path.basename(unit)
    unit_name = template.replace("@.", "@" + instance + ".")
    service = read_unit(unit)["Service"]
    lines = [value for k, value in service if k == key]
    if not lines:
        sys.exit(f"unit_exec: no {key}= in {unit}")
    line = specifiers(lines[0], unit_name, instance)
    mode = "strict"
    while line and line[0] in "-@:+!":
        if line[0] == "-":
            mode = "ignore-failure"
        line = line[1:]
    env = environment(service, unit_name, instance, root)
    argv = [below(root, w) for word in shlex.split(line) for w in expand_word(word, env)]
    if os.path.basename(argv[0]) == "histfs":
        argv[0] = histfs
    sys.stdout.write("\0".join([mode] + argv) + "\0")


def main():
    args = sys.argv[1:]
    if args[:1] == ["escape"]:
        print(escape_path(args[1]))
    elif args[:1] == ["command"]:
        unit, instance, key = args[1:4]
        opts = dict(zip(args[4::2], args[5::2]))
        command(unit, instance, key, opts["--root"], opts["--histfs"])
    else:
        sys.exit(__doc__)


main()
