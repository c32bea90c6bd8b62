# bash completion for sockaudit(1) and sockauditd(8).
# Verbs, the options each verb takes (cli/options.c), namespace and
# interface names, and for a PORT the ports that listen now, asked of the
# daemon (`sockaudit list --json`, waiting at most
# $SOCKAUDIT_COMPLETION_TIMEOUT seconds, default 1; nothing when it does
# not answer). Installed as completions/sockaudit (and sockauditd, a link).

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

_sockaudit()
{
        local cur=${COMP_WORDS[COMP_CWORD]} prev=
        local verbs='who list explain tls check status refresh watch metrics help'
        local verb='' socket='' i w operands=0
        [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}

        # The verb is the first operand; --socket's value is kept for the ports.
        for ((i = 1; i < COMP_CWORD; i++)); do
                w=${COMP_WORDS[i]}
                case $w in
                --socket | --port | --timeout | --netns | --from | --iface)
                        [ "$w" == --socket ] && socket=${COMP_WORDS[i + 1]}
                        i=$((i + 1)) ;;
                --) ;;
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
        --timeout | --from)
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

        local common='--json --socket --timeout --help'
        local opts
        case $verb in
        who) opts="$common --tcp --udp -t -u --netns --wide --direct" ;;
        list) opts="$common --port --tcp --udp -t -u --netns --wide --direct" ;;
        explain) opts="$common --tcp --udp -t -u --netns --direct --from --iface" ;;
        tls) opts="$common --netns --wide --direct" ;;
        check) opts="$common --netns" ;;
        status | refresh | watch | metrics) opts=$common ;;
        help) return ;;
        '') opts="$common --version --direct --netns --tcp --udp --wide" ;;
        *) return ;;
        esac

        if [[ $cur == -* ]]; then
                mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
        elif [ -z "$verb" ]; then
                mapfile -t COMPREPLY < <(compgen -W "$verbs" -- "$cur")
        elif [ "$operands" -eq 0 ]; then
                case $verb in
                who | explain | tls)
                        mapfile -t COMPREPLY < <(compgen -W "$(_sockaudit_ports "$1" "$socket")" -- "$cur") ;;
                esac
        fi
}

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
        mapfile -t COMPREPLY < <(compgen -W '--socket --config --state-dir --check-config
                --foreground --help --version' -- "$cur")
}

complete -F _sockaudit sockaudit
complete -F _sockauditd sockauditd
