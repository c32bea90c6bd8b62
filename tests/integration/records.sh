# shellcheck shell=bash
# Checking JSON outputs against docs/RECORDS.md's field tables (its
# convention is at the top of RECORDS.md): sourced by test_docs.sh, which
# checks every output kind, and by tests whose outputs carry fields the
# docs test cannot produce (test_tls.sh: a web server's TLS).

# records_map FILE: {"SECTION": {"FIELD": "LINKED SECTION" or ""}} from the
# field tables of FILE (tables whose header starts with "field"). A
# section is a heading's GitHub anchor.
records_map() {
        awk '
        /^#+ / {
                a = $0; sub(/^#+ +/, "", a); a = tolower(a)
                gsub(/[^a-z0-9 _-]/, "", a); gsub(/ /, "-", a)
                sec = a; intable = 0; next
        }
        /^\|/ {
                split($0, c, "|"); f = c[2]; gsub(/^ +| +$/, "", f)
                if (f == "field") { intable = 1; next }
                if (!intable || f !~ /^`[^`]+`$/) next
                link = ""
                if (match(c[3], /\]\(#[^)]+\)/)) link = substr(c[3], RSTART + 3, RLENGTH - 4)
                printf "%s\t%s\t%s\n", sec, substr(f, 2, length(f) - 2), link
                next
        }
        { intable = 0 }' "$1" |
                jq -R -s 'split("\n") | map(select(length > 0) | split("\t"))
                          | reduce .[] as $r ({}; .[$r[0]][$r[1]] = $r[2])'
}

# Walks a JSON value from section $sec: "SEEN\tSECTION\tFIELD" for each
# documented key, "MISSING\tPATH\tSECTION\tFIELD" for each undocumented one.
# An object-valued row that links no section documents its members as
# "ROW.MEMBER" rows of the same section; array elements add "[]".
# shellcheck disable=SC2016  # a jq program: its $ are jq's
JQ_RECORDS='
def w($m; $sec; $pre; $path):
  if type == "object" then
    to_entries[] as $e
    | ($pre + $e.key) as $f
    | (if $path == "" then $e.key else $path + "." + $e.key end) as $p
    | if (($m[$sec] // {}) | has($f)) | not then "MISSING\t\($p)\t\($sec)\t\($f)"
      else "SEEN\t\($sec)\t\($f)",
        ($m[$sec][$f] as $link
         | if $link == "" then $e.value | w($m; $sec; $f + "."; $p)
           elif $m | has($link) then $e.value | w($m; $link; ""; $p)
           else "MISSING\t\($p)\t\($sec)\t\($f) (links #\($link): no field table there)" end)
      end
  elif type == "array" then
    .[] | w($m; $sec; (if $pre == "" then "" else ($pre | rtrimstr(".")) + "[]." end); $path + "[]")
  else empty end;
w($m; $root; ""; "")'

# records_check NAME ROOT FILE: every key of the JSON values in FILE (one
# output of NAME) checked from section ROOT; results appended to
# $SA_IT_DIR/records.out.
records_check() {
        [ -s "$3" ] || fail "$1: no output to check"
        jq -e 'type == "object"' "$3" > /dev/null 2>&1 || fail "$1: output is not JSON objects"
        jq -r --argjson m "$RECORDS_MAP" --arg root "$2" "$JQ_RECORDS" "$3" |
                sed "s/^MISSING\t/MISSING\t$1: /" >> "$SA_IT_DIR/records.out" ||
                fail "$1: jq failed on the output"
        note "checked $1 ($(wc -l < "$3") lines) from #$2"
}
