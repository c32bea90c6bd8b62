#!/usr/bin/zsh -f
# sa-zcomplete.zsh FPATH_DIR LINE...: what zsh's completion system offers
# for each LINE (a command line so far, completed at its end): for each,
# a line "== LINE" then one match per line. One real interactive zsh in a
# pseudo-terminal (zsh/zpty), its completion system started with compinit
# and FPATH_DIR first in $fpath; compadd is wrapped to print what the
# completion functions add. Exits 1 when the shell gave no answer for a
# LINE within $SA_ZCOMPLETE_TIMEOUT seconds (default 10), 2 on a usage
# error.
(( $# >= 2 )) || { print -u2 "usage: sa-zcomplete.zsh FPATH_DIR LINE..."; exit 2; }
zmodload zsh/zpty || exit 2

zpty z zsh -f -i
# Set-up. Each completion's matches come between two NUL bytes
# (compprefuncs and comppostfuncs); ^U then empties the line for the next.
zpty -w z "PROMPT= RPROMPT= PS2= ; unsetopt zle_bracketed_paste"
zpty -w z "fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z "zstyle ':completion:*' list-grouped false; zstyle ':completion:*' insert-tab false"
zpty -w z "zstyle ':completion:*' menu no; LISTMAX=100000; unsetopt list_beep beep"
zpty -w z 'compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
  local -a __hits __dscr
  (( $@[(I)-d] )) && { __dscr=( "${(@P)${@[$[${@[(I)-d]}+1]]}}" ) }
  builtin compadd -A __hits -D __dscr "$@"
  local h; for h in $__hits; do print -r -- "<m>$h"; done
}'
zpty -w z 'sa_null() { print -n $'"'"'\0'"'"' }; sa_pre() { compprefuncs=(sa_null sa_pre) }; sa_post() { comppostfuncs=(sa_null sa_post) }'
zpty -w z 'compprefuncs=(sa_null sa_pre); comppostfuncs=(sa_null sa_post)'

local want line out rest deadline
shift
for want in "$@"; do
  zpty -n -w z "$want"$'\t'
  out= deadline=$(( SECONDS + ${SA_ZCOMPLETE_TIMEOUT:-10} ))
  while [[ $out != *$'\0'*$'\0'* ]]; do
    (( SECONDS < deadline )) || { zpty -d z; print -u2 "sa-zcomplete: no answer for '$want'"; exit 1; }
    zpty -r -t z line 2>/dev/null || { sleep 0.05; continue; }
    out+=$line
  done
  rest=${${out#*$'\0'}%%$'\0'*}
  print -r -- "== $want"
  print -rl -- "${(@)${(@M)${(@f)rest//$'\r'/}:#<m>*}#<m>}"
  zpty -n -w z $'\C-u'
done
zpty -d z
