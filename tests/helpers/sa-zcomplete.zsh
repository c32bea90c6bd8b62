#!/usr/bin/zsh -f
# sa-zcomplete.zsh FPATH_DIR LINE: what zsh's completion system offers for
# LINE (the command line so far, completed at its end), one match per
# line. A real interactive zsh in a pseudo-terminal (zsh/zpty), its
# completion system started with compinit and FPATH_DIR first in $fpath;
# compadd is wrapped to print what the completion functions add. Exits 1
# when the shell gave no answer within $SA_ZCOMPLETE_TIMEOUT seconds
# (default 10), 2 on a usage error.
(( $# == 2 )) || { print -u2 "usage: sa-zcomplete.zsh FPATH_DIR LINE"; exit 2; }
zmodload zsh/zpty || exit 2

zpty z zsh -f -i
# Set-up, then the line and a TAB. The completion's matches come between
# two NUL lines (compprefuncs and comppostfuncs), the shell exits after.
zpty -w z "PROMPT= RPROMPT= PS2= ; unsetopt zle_bracketed_paste"
zpty -w z "fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z "zstyle ':completion:*' list-grouped false; zstyle ':completion:*' insert-tab false"
zpty -w z 'compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
  local -a __hits __dscr
  (( $@[(I)-d] )) && { __dscr=( "${(@P)${@[$[${@[(I)-d]}+1]]}}" ) }
  builtin compadd -A __hits -D __dscr "$@"
  local h; for h in $__hits; do print -r -- "<m>$h"; done
}'
zpty -w z 'sa_null() { print -n $'"'"'\0'"'"' }; compprefuncs=(sa_null); comppostfuncs=(sa_null exit)'
zpty -n -w z "$2"$'\t'

local line out= seen=0 deadline=$(( SECONDS + ${SA_ZCOMPLETE_TIMEOUT:-10} ))
while (( SECONDS < deadline )); do
  zpty -r -t z line 2>/dev/null || { sleep 0.05; continue; }
  out+=$line
  [[ $out == *$'\0'*$'\0'* ]] && { seen=1; break; }
done
zpty -d z
(( seen )) || { print -u2 "sa-zcomplete: no answer for '$2'"; exit 1; }
out=${${out#*$'\0'}%%$'\0'*}
print -rl -- "${(@)${(@M)${(@f)out//$'\r'/}:#<m>*}#<m>}"
