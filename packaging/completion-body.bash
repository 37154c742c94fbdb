# shellcheck shell=bash disable=SC2154 # _histfs_subs and _histfs_opts come from _histfs_data
# The fixed part of the histfs bash completion; packaging/generate-docs.sh puts the data
# (_histfs_data) before it. _histfs_opts holds NAMES=KIND words: NAMES
# comma-separated, KIND empty for a flag, "value", or "choices:a,b,c".

# _histfs_kind OPTION: sets _histfs_value_kind to OPTION's kind; fails for an unknown option.
_histfs_kind() {
  local entry
  for entry in $_histfs_opts; do
    if [[ ",${entry%%=*}," == *",$1,"* ]]; then
      _histfs_value_kind=${entry#*=}
      return 0
    fi
  done
  return 1
}

_histfs() {
  local cur=${COMP_WORDS[COMP_CWORD]} path="" word entry names="" value=0 i
  COMPREPLY=()
  # The words before the cursor: a subcommand's name extends the command path, an option that
  # takes a value makes the next word its value.
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    if ((value)); then
      value=0
      continue
    fi
    _histfs_data "$path"
    if [[ "$word" == -* ]]; then
      _histfs_kind "$word" && [ -n "$_histfs_value_kind" ] && value=1
    elif [[ " $_histfs_subs " == *" $word "* ]]; then
      path=${path:+$path }$word
    fi
  done
  _histfs_data "$path"
  if ((value)) && _histfs_kind "${COMP_WORDS[COMP_CWORD - 1]}" && [[ "$_histfs_value_kind" == choices:* ]]; then
    names=${_histfs_value_kind#choices:}
    mapfile -t COMPREPLY < <(compgen -W "${names//,/ }" -- "$cur")
  elif ((!value)) && [[ "$cur" == -* ]]; then
    for entry in $_histfs_opts; do names+=" ${entry%%=*}"; done
    mapfile -t COMPREPLY < <(compgen -W "${names//,/ }" -- "$cur")
  elif ((!value)) && [ -n "$_histfs_subs" ]; then
    mapfile -t COMPREPLY < <(compgen -W "$_histfs_subs" -- "$cur")
  else
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
}
complete -F _histfs histfs
