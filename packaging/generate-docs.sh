#!/usr/bin/env bash
# Makes the man pages and the bash completion from the built binary's own --help, at build time,
# so every command (and every command added later) is in them with the words `--help` prints:
#   OUT/man/man1/histfs.1.gz, OUT/man/man1/histfs-COMMAND.1.gz (help2man; none without it)
#   OUT/bash-completion/histfs
# Usage: generate-docs.sh HISTFS_BINARY OUT_DIR [HELP2MAN]
set -euo pipefail
binary=$(realpath "$1")
out=$2
help2man=${3:-}
here=$(cd "$(dirname "$0")" && pwd)

# Run it as plain `histfs`, so the usage lines say `histfs`, not the build path.
bin=$out/bin
rm -rf "$out/man" "$out/bash-completion" "$bin"
mkdir -p "$out/man/man1" "$out/bash-completion" "$bin"
ln -s "$binary" "$bin/histfs"
export PATH="$bin:$PATH"

# section HELP_TEXT NAME: the lines of one section ("Options:", "Subcommands:") of CLI11's help.
section() {
  awk -v want="$2:" '$0 == want { on = 1; next } /^[A-Z][A-Za-z]*:$/ { on = 0 } on' <<<"$1"
}
# subcommands HELP_TEXT: "name<TAB>one-line help" for each subcommand listed.
subcommands() {
  section "$1" Subcommands | sed -nE 's/^  ([a-z][a-z0-9-]*) +(.*)$/\1\t\2/p'
}
# options HELP_TEXT: "names<TAB>kind" for each option: names comma-separated, kind "" for a
# flag, "choices:a,b,c" for a fixed set, "value" otherwise.
options() {
  section "$1" Options | sed -nE 's/^  (-[^ ]+)( ([A-Z]+)(:[^ ]*)?)?.*$/\1\t\3\4/p' | while IFS=$'\t' read -r names value; do
    case "$value" in
      "") echo "$names${TAB}" ;;
      *:\{*\}) choices=${value#*:\{} && echo "$names${TAB}choices:${choices%\}}" ;;
      *) echo "$names${TAB}value" ;;
    esac
  done
}
TAB=$'\t'

top_help=$(histfs --help)
# Every command path: "mount", "status", ... and "config get" for a command with subcommands.
paths=()
declare -A summary
while IFS=$'\t' read -r name text; do
  paths+=("$name")
  summary[$name]=$text
  while IFS=$'\t' read -r sub subtext; do
    paths+=("$name $sub")
    summary["$name $sub"]=$subtext
  done < <(subcommands "$(histfs "$name" --help)")
done < <(subcommands "$top_help")
((${#paths[@]} > 0)) || { echo "generate-docs: no subcommands in \`histfs --help\`" >&2; exit 1; }

# --- man pages -------------------------------------------------------------------------------
if [ -n "$help2man" ]; then
  see_also=$(printf '.BR histfs-%s (1),\n' "${paths[@]// /-}" | sed '$ s/,$//')
  # man_page NAME DESCRIPTION HELP_OPTION INCLUDE: one page, named NAME.
  man_page() {
    local name=$1 upper
    upper=$(tr '[:lower:]' '[:upper:]' <<<"$name")
    "$help2man" --no-info --no-discard-stderr --section 1 --name "$2" --help-option "$3" \
      --version-option --version --include "$4" histfs |
      sed -E "s/^\\.TH HISTFS /.TH $upper /; s/^histfs \\\\- /$name \\\\- /" | gzip -9n >"$out/man/man1/$name.1.gz"
  }
  include=$out/man/include
  { cat "$here/histfs.h2m" && printf '[SEE ALSO]\n%s\n' "$see_also"; } >"$include"
  man_page histfs "a directory that versions itself in git" --help "$include"
  printf '[SEE ALSO]\n.BR histfs (1)\n' >"$include"
  for path in "${paths[@]}"; do
    man_page "histfs-${path// /-}" "${summary[$path]}" "$path --help" "$include"
  done
  rm "$include"
fi

# --- bash completion -------------------------------------------------------------------------
{
  echo "# bash completion for histfs: generated from \`histfs --help\` by packaging/generate-docs.sh"
  echo '# _histfs_data PATH: the subcommands and options of a command path ("mount", "config set").'
  echo '_histfs_data() {'
  echo '  case "$1" in'
  for path in "" "${paths[@]}"; do
    # shellcheck disable=SC2086 # a path is one or two words
    help=$(histfs $path --help)
    subs=$(subcommands "$help" | cut -f1 | tr '\n' ' ' | sed 's/ $//')
    opts=$(options "$help" | tr '\t' '=' | tr '\n' ' ' | sed 's/ $//')
    echo "    '$path') _histfs_subs='$subs' _histfs_opts='$opts' ;;"
  done
  echo "    *) _histfs_subs='' _histfs_opts='' ;;"
  echo '  esac'
  echo '}'
  cat "$here/completion-body.bash"
} >"$out/bash-completion/histfs"
rm -rf "$bin"
