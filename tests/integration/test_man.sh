# shellcheck shell=bash
# The man pages (man/*.scd, built into $BUILD/man/) and the bash and zsh
# completions (completion/sockaudit.bash, completion/_sockaudit) kept true:
# the pages format without a warning, and name every verb and option the
# programs' --help lists, every config key the parser accepts, every
# journal field and MESSAGE_ID, every environment variable the programs
# read; the completions offer what the CLI accepts, and the ports of a real
# daemon's listeners.

# man_text PAGE: the page as a reader sees it, unhyphenated, one long line
# per paragraph, without overstrike.
man_text() {
        [ -f "$BUILD/man/$1" ] || fail "$BUILD/man/$1 not built (make all)"
        MANWIDTH=1000 man --nh --nj -l "$BUILD/man/$1" 2> /dev/null | sed 's/.\x08//g'
}

# man_lacks PAGE WHAT WORD...: fails naming the WORDs the page does not
# contain (each as a whole word, so --socket does not pass for --socket-x).
man_lacks() {
        local page=$1 what=$2 text w missing=
        shift 2
        text=$(man_text "$page")
        for w in "$@"; do
                [[ $w =~ ^[-A-Za-z0-9_=]+$ ]] || fail "man_lacks: '$w' is not a plain word"
                grep -qE -- "(^|[^A-Za-z0-9_-])$w([^A-Za-z0-9_]|$)" <<<"$text" || missing+=" $w"
        done
        [ -z "$missing" ] || fail "$page lacks $what:$missing"
        note "$page: $# $what"
}

# env_names FILE...: the environment variables the sources read: the names
# given to getenv() and cli_find_helper(), and every string that is a whole
# SOCKAUDIT*_ name (a getenv() through a macro; in daemon/ journal fields too).
env_names() {
        {
                grep -ohE 'getenv\("[A-Z_]+"\)|cli_find_helper\([A-Z_]+, "[A-Z_]+"' "$@" | grep -oE '"[A-Z_]+"'
                grep -ohE '"SOCKAUDITD?_[A-Z0-9_]*[A-Z0-9]"' "$@"
        } | tr -d '"' | sort -u
}

# Every page is built from its source and formats without a warning.
test_man_pages_format_cleanly() {
        need_cmd man
        local src page n=0 warnings
        for src in "$ROOT"/man/*.scd; do
                page=$(basename "$src" .scd)
                [ -f "$BUILD/man/$page" ] || fail "$BUILD/man/$page not built from $src (make all)"
                [ "$BUILD/man/$page" -nt "$src" ] || [ ! "$src" -nt "$BUILD/man/$page" ] ||
                        fail "$BUILD/man/$page is older than $src (make all)"
                warnings=$(MANWIDTH=80 man --warnings -l "$BUILD/man/$page" 2>&1 > /dev/null)
                [ -z "$warnings" ] || fail "man --warnings -l $page: $warnings"
                n=$((n + 1))
        done
        [ "$n" -ge 3 ] || fail "only $n man pages in man/"
}

# sockaudit(1) names every verb and option of `sockaudit --help`, every
# exit code of cli/options.h and every variable the CLI and its helpers
# read; sockauditd(8) every option of `sockauditd --help`, its signals and
# every variable the daemon reads (env_names).
test_man_programs_covered() {
        need_cmd man
        local help verbs opts codes envs
        help=$("$SA" --help) || fail "sockaudit --help failed"
        verbs=$(sed -n '/^Commands:/,/^$/p' <<<"$help" | awk '/^  [a-z]/ { print $1 }')
        [ "$(wc -w <<<"$verbs")" -ge 8 ] || fail "sockaudit --help: fewer than 8 verbs found: $verbs"
        opts=$(grep -oE -- '(^|[ [|])--?[a-z][a-z-]*' <<<"$help" | tr -d ' [|' | sort -u)
        # shellcheck disable=SC2086  # word lists
        man_lacks sockaudit.1 "verbs or options of sockaudit --help" $verbs $opts
        codes=$(sed -nE 's/^ *EXIT_[A-Z]+ *= *([0-9]+),.*/\1/p' "$ROOT/cli/options.h")
        [ -n "$codes" ] || fail "cli/options.h: no EXIT_ codes found"
        local status
        status=$(man_text sockaudit.1 | sed -n '/^EXIT STATUS/,/^[A-Z]/p')
        for c in $codes; do
                grep -qx " *$c" <<<"$status" || fail "sockaudit(1) EXIT STATUS lacks $c (cli/options.h)"
        done
        envs=$(env_names "$ROOT"/cli/*.[ch] "$ROOT"/libexec/*.c)
        # shellcheck disable=SC2086
        man_lacks sockaudit.1 "variables read by cli/ and libexec/" $envs

        help=$("$SAD" --help) || fail "sockauditd --help failed"
        opts=$(grep -oE -- '(^|[ [|])--[a-z][a-z-]*' <<<"$help" | tr -d ' [|' | sort -u)
        envs=$(env_names "$ROOT"/daemon/*.[ch])
        # shellcheck disable=SC2086
        man_lacks sockauditd.8 "options, signals and variables of sockauditd" $opts SIGHUP SIGTERM SIGINT $envs
}

# sockauditd.conf(5) names every key the parser accepts (taken from the
# parser's source, daemon/config*.c), with "=", and every key of
# docs/CONFIG.md's tables; its example is a file the daemon takes.
test_man_config_keys() {
        need_cmd man
        local keys doc
        keys=$( {
                grep -ohE 'strcmp\(key, "[A-Za-z0-9]+"\)' "$ROOT"/daemon/config*.c
                sed -n '/keys\[\] = {/,/};/p' "$ROOT"/daemon/config*.c
        } | grep -oE '"[A-Z][A-Za-z0-9]*"' | tr -d '"' | sort -u)
        [ "$(wc -w <<<"$keys")" -ge 20 ] || fail "daemon/config*.c: fewer than 20 keys found ($keys): has the parser changed shape?"
        # shellcheck disable=SC2016  # backquotes are markdown's
        doc=$(sed -nE 's/^\| ((`[A-Za-z]+=`(, )?)+) \|.*/\1/p' "$ROOT/docs/CONFIG.md" | grep -oE '[A-Za-z]+=' | tr -d '=' | sort -u)
        # shellcheck disable=SC2046
        man_lacks sockauditd.conf.5 "config keys" $(sort -u <<<"$keys"$'\n'"$doc" | sed '/^$/d; s/$/=/')

        local conf=$SA_IT_DIR/example.conf out rc
        # shellcheck disable=SC2016  # backquotes are scdoc's
        sed -n '/^# EXAMPLE/,/^# /p' "$ROOT/man/sockauditd.conf.5.scd" | sed -n '/^```$/,/^```$/p' | sed '/^```$/d' > "$conf"
        grep -q '^\[Port ' "$conf" || fail "sockauditd.conf(5): no example config found"
        out=$("$SAD" --check-config --config "$conf" 2>&1); rc=$?
        assert_eq 0 "$rc" "sockauditd --check-config on sockauditd.conf(5)'s example ($out)"
}

# sockauditd(8) names every journal field (docs/JOURNAL.md, daemon/event.c)
# and every MESSAGE_ID the daemon sends (daemon/event.h).
test_man_journal_fields() {
        need_cmd man
        local fields ids
        fields=$( {
                grep -oE 'SOCKAUDIT_[A-Z0-9_]*[A-Z0-9]' "$ROOT/docs/JOURNAL.md"
                grep -ohE '"SOCKAUDIT_[A-Z0-9_]+"' "$ROOT/daemon/event.c" | tr -d '"'
        } | sort -u)
        ids=$(sed -nE 's/^#define SA_MESSAGE_ID_[A-Z_]+ +"([0-9a-f]{32})"$/\1/p' "$ROOT/daemon/event.h")
        [ "$(wc -w <<<"$fields")" -ge 20 ] || fail "fewer than 20 journal fields found"
        [ "$(wc -w <<<"$ids")" -ge 6 ] || fail "daemon/event.h: fewer than 6 MESSAGE_IDs found"
        # shellcheck disable=SC2086
        man_lacks sockauditd.8 "journal fields and MESSAGE_IDs" $fields $ids
}

# complete_words WORD...: what the completion offers for the last WORD
# (the line so far), one per line, in a fresh bash.
complete_words() {
        # shellcheck disable=SC2016  # expanded by the inner bash
        env -u BASH_ENV bash --norc --noprofile -c '
                . "$0" || exit 1
                COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
                _sockaudit "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
                printf "%s\n" "${COMPREPLY[@]}"' "$ROOT/completion/sockaudit.bash" "$@"
}

# cli_taken VERB: the long options `sockaudit VERB` takes, asked of the
# CLI (an option the verb does not take is a usage error, exit 2), sorted,
# space-separated.
cli_taken() {
        local verb=$1 opt args rc taken=
        local all='--json --direct --netns --port --from --iface --wide --socket --timeout --tcp --udp'
        for opt in $all; do
                args=("$verb")
                case $verb in who | explain | tls) args+=(1) ;; esac
                case $opt in
                --netns) args+=("$opt" x) ;;
                --port) args+=("$opt" 1) ;;
                --from) args+=(--direct "$opt" 127.0.0.1) ;;
                --iface) args+=(--direct "$opt" lo) ;;
                --socket) args+=("$opt" /nonexistent) ;;
                --timeout) args+=("$opt" 1) ;;
                *) args+=("$opt") ;;
                esac
                [ "$opt" == --socket ] || args+=(--socket /nonexistent)
                bounded 10 "sockaudit ${args[*]}" "${NSX[@]}" "$SA" "${args[@]}" > /dev/null 2>&1
                rc=$?
                [ "$rc" -eq 124 ] && fail "sockaudit ${args[*]}: no end in 10 s"
                [ "$rc" -ne 2 ] && taken+=" $opt"
        done
        tr ' ' '\n' <<<"$taken" | sed '/^$/d' | sort | paste -sd' '
}

CLI_VERBS='who list explain tls check status refresh watch metrics'

# The completion offers the verbs, and for each verb exactly the long
# options the CLI takes with it (cli_taken); it reads them from the
# command's --help, so the command word is the CLI under test.
test_man_completion_options() {
        local got verb taken offered
        got=$(complete_words "$SA" "" | sort | paste -sd' ')
        assert_eq "check explain help list metrics refresh status tls watch who" "$got" "sockaudit <TAB>"
        got=$(complete_words "$SA" w | paste -sd' ')
        assert_eq "who watch" "$got" "sockaudit w<TAB>"
        for verb in $CLI_VERBS; do
                taken=$(cli_taken "$verb")
                offered=$(complete_words "$SA" "$verb" -- | grep -E '^--' | grep -vx -- '--help' | sort | paste -sd' ')
                assert_eq "$taken" "$offered" "completion of 'sockaudit $verb --<TAB>' against the options it takes"
        done
        got=$(complete_words "$SA" list --netns "" | paste -sd' ')
        assert_contains "$got" host "sockaudit list --netns <TAB>"
        got=$(complete_words "$SA" explain 443 --direct --iface "" | paste -sd' ')
        assert_contains "$got" lo "sockaudit explain --iface <TAB>"
}

# need_zsh: zsh with its zpty module, else SKIP.
need_zsh() {
        need_cmd zsh
        zsh -f -c 'zmodload zsh/zpty' 2> /dev/null || skip "zsh has no zsh/zpty module"
}

# zcomplete LINE...: what zsh's completion system offers at the end of
# each LINE (tests/helpers/sa-zcomplete.zsh: one interactive zsh in a pty,
# compinit, completion/ first in fpath), all in ZOUT: "== LINE" then one
# match per line; sockaudit and sockauditd are the programs under test.
# zgot LINE prints LINE's matches.
zcomplete() {
        local bin=$SA_IT_DIR/zbin
        if [ ! -d "$bin" ]; then
                mkdir -p "$bin" || fail "cannot make $bin"
                ln -s "$SA" "$bin/sockaudit" || fail "cannot link $SA into $bin"
                ln -s "$SAD" "$bin/sockauditd" || fail "cannot link $SAD into $bin"
        fi
        ZOUT=$(PATH=$bin:$PATH SA_ZCOMPLETE_TIMEOUT=$(scaled_s 10) \
                bounded 60 "zsh completion of $# lines" zsh -f "$ROOT/tests/helpers/sa-zcomplete.zsh" "$ROOT/completion" "$@") ||
                fail "zsh gave no completion (of: $*)"
}
zgot() { awk -v want="== $1" '$0 == want { on = 1; next } /^== / { on = 0 } on' <<<"$ZOUT"; }

# completion/_sockaudit in real zsh: it parses, compinit makes it the
# completion of both programs, and the completion system offers the
# verbs, for each verb exactly the long options the CLI takes with it
# (cli_taken), sockauditd's options as its --help lists them, and
# namespace and interface names.
test_man_zsh_completion() {
        need_zsh
        local out got verb line taken want lines=()
        out=$(zsh -n "$ROOT/completion/_sockaudit" 2>&1) || fail "zsh -n completion/_sockaudit: $out"
        # shellcheck disable=SC2016  # zsh's own expansions
        out=$(zsh -f -c 'fpath=("$1" $fpath); autoload -U compinit; compinit -u -D
                print -r -- "$_comps[sockaudit] $_comps[sockauditd] $+functions[_sockaudit]"' zsh "$ROOT/completion" 2>&1)
        assert_eq "_sockaudit _sockaudit 1" "$out" "compinit: the completion of sockaudit and sockauditd"
        for verb in $CLI_VERBS; do
                case $verb in who | explain | tls) lines+=("sockaudit $verb 1 --") ;; *) lines+=("sockaudit $verb --") ;; esac
        done
        zcomplete 'sockaudit ' 'sockaudit --timeout 3 w' 'sockauditd --' 'sockaudit list --netns ' \
                'sockaudit explain 443 --direct --iface ' "${lines[@]}"
        got=$(zgot 'sockaudit ' | sort | paste -sd' ')
        assert_eq "check explain help list metrics refresh status tls watch who" "$got" "zsh: sockaudit <TAB>"
        got=$(zgot 'sockaudit --timeout 3 w' | sort | paste -sd' ')
        assert_eq "watch who" "$got" "zsh: sockaudit --timeout 3 w<TAB>"
        for line in "${lines[@]}"; do
                verb=${line#sockaudit } verb=${verb%% *}
                taken=$(cli_taken "$verb")
                got=$(zgot "$line" | grep -vx -- '--help' | sort | paste -sd' ')
                assert_eq "$taken" "$got" "zsh: '$line<TAB>' against the options it takes"
        done
        want=$("$SAD" --help | grep -oE -- '(^|[ [|])--[a-z][a-z-]*' | tr -d ' [|' | sort -u | paste -sd' ')
        got=$(zgot 'sockauditd --' | sort | paste -sd' ')
        assert_eq "$want" "$got" "zsh: sockauditd --<TAB> against sockauditd --help"
        assert_contains "$(zgot 'sockaudit list --netns ' | paste -sd' ')" host "zsh: sockaudit list --netns <TAB>"
        assert_contains "$(zgot 'sockaudit explain 443 --direct --iface ' | paste -sd' ')" lo "zsh: sockaudit explain --iface <TAB>"
}

# The ports offered for who/explain/tls PORT and list --port are those of
# the daemon's listeners (the socket from --socket or $SOCKAUDIT_SOCKET);
# without a daemon, none.
test_man_completion_ports() {
        # The completion waits this long for the daemon (1 s for a user).
        SOCKAUDIT_COMPLETION_TIMEOUT=$(($(scaled_s 2) + 1))
        export SOCKAUDIT_COMPLETION_TIMEOUT
        start_daemon
        start_listen --tcp 0.0.0.0 8443 --udp 127.0.0.1 5353 --tcp :: 8080
        refresh
        local got
        got=$(complete_words "$SA" --socket "$SOCK" who "" | paste -sd' ')
        assert_eq "5353 8080 8443" "$got" "sockaudit --socket S who <TAB>"
        got=$(complete_words "$SA" --socket "$SOCK" who 84 | paste -sd' ')
        assert_eq "8443" "$got" "sockaudit --socket S who 84<TAB>"
        got=$(SOCKAUDIT_SOCKET=$SOCK complete_words "$SA" list --port "" | paste -sd' ')
        assert_eq "5353 8080 8443" "$got" "SOCKAUDIT_SOCKET=S sockaudit list --port <TAB>"
        got=$(SOCKAUDIT_SOCKET=$SOCK complete_words "$SA" tls 8080 "" | paste -sd' ')
        assert_eq "" "$got" "sockaudit tls 8080 <TAB> (one PORT only)"
        got=$(complete_words "$SA" --socket "$SA_IT_DIR/none" explain "" | paste -sd' ')
        assert_eq "" "$got" "sockaudit explain <TAB> without a daemon"
        # zsh's completion asks the same daemon.
        if command -v zsh > /dev/null && zsh -f -c 'zmodload zsh/zpty' 2> /dev/null; then
                zcomplete "sockaudit --socket $SOCK who " "sockaudit --socket $SOCK list --port 84"
                got=$(zgot "sockaudit --socket $SOCK who " | paste -sd' ')
                assert_eq "5353 8080 8443" "$got" "zsh: sockaudit --socket S who <TAB>"
                got=$(zgot "sockaudit --socket $SOCK list --port 84" | paste -sd' ')
                assert_eq "8443" "$got" "zsh: sockaudit --socket S list --port 84<TAB>"
        else
                note "zsh or its zsh/zpty module missing: the zsh completion's ports not checked"
        fi
}
