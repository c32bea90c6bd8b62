# bash completion for sockaudit(1) and sockauditd(8).
# Verbs and the options each verb takes come from the programs' own --help
# (cli/options.c says the form: the commands an option is for in
# parentheses at its end), the same source completion/_sockaudit (zsh)
# reads; namespace and interface names from the system; for a PORT the
# ports that listen now, asked of the daemon (`sockaudit list --json`,
# waiting at most $SOCKAUDIT_COMPLETION_TIMEOUT seconds, default 1;
# nothing when it does not answer). Installed as completions/sockaudit
# (and sockauditd, a link).

# The ports of the current listeners, one per line, at most 200: from the
# daemon on the socket given on the line (or the default), within the
# wait above. $1 is the sockaudit command as typed.
_sockaudit_ports()
{
        local cmd=$1 socket=$2 wait=${SOCKAUDIT_COMPLETION_TIMEOUT:-1}
        local args=(--timeout "$wait" list --json)
        [ -n "$socket" ] && args+=(--socket "$socket")
        command -v timeout > /dev/null 2>&1 || return 0
        # '"port":N' outside strings only: inside one the quote is escaped.
        timeout "$((wait + 1))" "$cmd" "${args[@]}" 2> /dev/null < /dev/null |
                grep -oE '"port":[0-9]{1,5}[,}]' | tr -dc '0-9\n' | sort -un | head -n 200
}

# _sockaudit_table CMD: what `CMD --help` says, one line each:
#   verb NAME OPERAND      a command, OPERAND its first (PORT) or "-"
#   opt NAME ARG VERBS     an option, ARG its value (NAME, PORT) or "-",
#                          VERBS the commands it is for ("who,list") or "*"
_sockaudit_table()
{
        "$1" --help 2> /dev/null < /dev/null | awk '
        function flush(   head, desc, n, names, i, arg, v, inner, items, parts, k, w, ok) {
                if (line == "") return
                # "  -t, --tcp   TCP only": the names (and value) up to two blanks.
                sub(/^ +/, "", line); i = index(line " ", "  ")
                head = substr(line, 1, i - 1); desc = substr(line, i); line = ""
                gsub(/,/, " ", head)
                n = split(head, names, " ")
                arg = "-"
                if (names[n] !~ /^-/) { arg = names[n]; n-- }
                v = "*"
                if (match(desc, /\([^()]*\) *$/)) {
                        inner = substr(desc, RSTART + 1); sub(/\) *$/, "", inner)
                        k = split(inner, items, /, */); ok = k > 0; w = ""
                        for (i = 1; i <= k; i++) {
                                split(items[i], parts, " ")
                                if (!index(" " verbs " ", " " parts[1] " ")) ok = 0
                                w = w (w == "" ? "" : ",") parts[1]
                        }
                        if (ok) v = w
                }
                for (i = 1; i <= n; i++) print "opt", names[i], arg, v
        }
        /^Commands:/ { c = 1; next }
        c && /^$/ { c = 0; next }
        c && /^  [a-z]/ {
                verbs = verbs " " $1
                print "verb", $1, ($2 ~ /^[A-Z]+$/ ? $2 : "-"); next
        }
        /^Options/ { o = 1; next }
        o && /^$/ { flush(); o = 0; next }
        o && /^  +-/ { flush(); line = $0; next }
        o && /^        +[^ -]/ { sub(/^ +/, " "); line = line $0; next }
        END { flush() }'
}

_sockaudit()
{
        local cur=${COMP_WORDS[COMP_CWORD]} prev=
        local verb="" socket="" i w operands=0 table kind name arg verbs_of
        local verbs=() opts=() valued=' ' port_verbs=' '
        [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
        table=$(_sockaudit_table "$1")

        while read -r kind name arg verbs_of; do
                case $kind in
                verb) verbs+=("$name"); [ "$arg" == PORT ] && port_verbs+="$name " ;;
                opt) [ "$arg" != - ] && valued+="$name " ;;
                esac
        done <<<"$table"

        # The verb is the first operand; --socket's value is kept for the ports.
        for ((i = 1; i < COMP_CWORD; i++)); do
                w=${COMP_WORDS[i]}
                if [[ $valued == *" $w "* ]]; then
                        [ "$w" == --socket ] && socket=${COMP_WORDS[i + 1]}
                        i=$((i + 1))
                        continue
                fi
                case $w in
                -*) ;;
                *) if [ -z "$verb" ]; then verb=$w; else operands=$((operands + 1)); fi ;;
                esac
        done

        COMPREPLY=()
        case $prev in
        --socket)
                compopt -o filenames 2> /dev/null
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                return ;;
        --port)
                mapfile -t COMPREPLY < <(compgen -W "$(_sockaudit_ports "$1" "$socket")" -- "$cur")
                return ;;
        --netns)
                mapfile -t COMPREPLY < <(compgen -W "host $(ls /run/netns 2> /dev/null)" -- "$cur")
                return ;;
        --iface)
                mapfile -t COMPREPLY < <(compgen -W "$(ls /sys/class/net 2> /dev/null)" -- "$cur")
                return ;;
        esac
        # Any other option with a value (--timeout, --from): nothing to offer.
        [[ -n $prev && $valued == *" $prev "* ]] && return

        [ "$verb" == help ] && return
        if [ -n "$verb" ] && [[ " ${verbs[*]} " != *" $verb "* ]]; then
                return
        fi
        # Before the verb every option; after it, those for the verb
        # (--version stands alone).
        while read -r kind name arg verbs_of; do
                [ "$kind" == opt ] || continue
                if [ -z "$verb" ] || { [ "$name" != --version ] &&
                        [[ $verbs_of == "*" || ",$verbs_of," == *",$verb,"* ]]; }; then
                        opts+=("$name")
                fi
        done <<<"$table"

        if [[ $cur == -* ]]; then
                mapfile -t COMPREPLY < <(compgen -W "${opts[*]}" -- "$cur")
        elif [ -z "$verb" ]; then
                mapfile -t COMPREPLY < <(compgen -W "${verbs[*]}" -- "$cur")
        elif [ "$operands" -eq 0 ] && [[ $port_verbs == *" $verb "* ]]; then
                mapfile -t COMPREPLY < <(compgen -W "$(_sockaudit_ports "$1" "$socket")" -- "$cur")
        fi
}

# sockauditd's options from its --help; a path or a directory after those
# that take one.
_sockauditd()
{
        local cur=${COMP_WORDS[COMP_CWORD]} prev=
        [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
        COMPREPLY=()
        case $prev in
        --socket | --config)
                compopt -o filenames 2> /dev/null
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                return ;;
        --state-dir)
                compopt -o filenames 2> /dev/null
                mapfile -t COMPREPLY < <(compgen -d -- "$cur")
                return ;;
        esac
        mapfile -t COMPREPLY < <(compgen -W "$("$1" --help 2> /dev/null < /dev/null |
                grep -oE -- '(^|[ ,[|])--[a-z][a-z-]*' | tr -d ' ,[|' | sort -u)" -- "$cur")
}

complete -F _sockaudit sockaudit
complete -F _sockauditd sockauditd
