/* SPDX-License-Identifier: MIT */
/* The CLI's listener table, from hand-written JSON records. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "human.h"
#include "table.h"

#define NGINX_OWNER(PID, USER) \
        "{\"pid\":" #PID ",\"ppid\":1,\"comm\":\"nginx\",\"exe\":\"/usr/sbin/nginx\"," \
        "\"exe_deleted\":false,\"cmdline\":[\"nginx\"],\"uid\":0,\"user\":\"" USER "\"," \
        "\"unit\":\"nginx.service\",\"user_unit\":null,\"cgroup\":\"/system.slice/nginx.service\",\"fds\":[6]}"

#define LISTENER(FAMILY, ADDR, PORT, EXTRA, OWNERS) \
        "{\"proto\":\"tcp\",\"family\":\"" FAMILY "\",\"address\":\"" ADDR "\",\"port\":" #PORT "," \
        "\"v6only\":false,\"interface\":null,\"inode\":1,\"uid\":0,\"netns\":1,\"netns_name\":null," \
        EXTRA "\"owners\":[" OWNERS "],\"owner_status\":\"ok\",\"owner_reason\":null}"

/* The table of a JSON array of listener records, as one string (caller frees). */
static char *render(const char *json)
{
        json_error_t err;
        json_t *listeners = json_loads(json, 0, &err);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        ck_assert_msg(listeners != NULL, "bad test JSON: %s", err.text);
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(listeners_print_table(f, listeners, 1, 0), 0);
        ck_assert_int_eq(fclose(f), 0);
        json_decref(listeners);
        return buf;
}

/* Line n (0 = header) of text, as a new string. */
static char *line(const char *text, int n)
{
        for (; n > 0; n--) {
                text = strchr(text, '\n');
                ck_assert_ptr_nonnull(text);
                text++;
        }
        const char *end = strchr(text, '\n');
        ck_assert_ptr_nonnull(end);
        return strndup(text, (size_t) (end - text));
}

static int count_lines(const char *text)
{
        int n = 0;
        for (; *text; text++)
                n += *text == '\n';
        return n;
}

/* Splits a row on runs of two or more blanks (cells hold single blanks at most). */
static int cells(const char *row, char out[][128], int max)
{
        int n = 0;
        const char *p = row;
        while (*p && n < max) {
                const char *end = strstr(p, "  ");
                size_t len = end ? (size_t) (end - p) : strlen(p);
                snprintf(out[n++], 128, "%.*s", (int) len, p);
                if (!end)
                        break;
                p = end;
                while (*p == ' ')
                        p++;
        }
        return n;
}

START_TEST(two_holders_two_rows)
{
        char *out = render("[" LISTENER("ipv4", "0.0.0.0", 443, "",
                                        NGINX_OWNER(812, "root") "," NGINX_OWNER(813, "www-data")) "]");
        char c[8][128];

        ck_assert_int_eq(count_lines(out), 3);
        char *hdr = line(out, 0), *r1 = line(out, 1), *r2 = line(out, 2);
        ck_assert_int_eq(cells(hdr, c, 8), 7); /* NOTE empty everywhere: left out */
        ck_assert_str_eq(hdr, "PROTO  LOCAL        PID  USER      COMMAND  UNIT           EXE");
        ck_assert_int_eq(cells(r1, c, 8), 7);
        ck_assert_str_eq(c[0], "tcp");
        ck_assert_str_eq(c[1], "0.0.0.0:443");
        ck_assert_str_eq(c[2], "812");
        ck_assert_str_eq(c[3], "root");
        ck_assert_str_eq(c[4], "nginx");
        ck_assert_str_eq(c[5], "nginx.service");
        ck_assert_str_eq(c[6], "/usr/sbin/nginx");
        ck_assert_int_eq(cells(r2, c, 8), 7);
        ck_assert_str_eq(c[2], "813");
        ck_assert_str_eq(c[3], "www-data");
        free(hdr);
        free(r1);
        free(r2);
        free(out);
}
END_TEST

START_TEST(no_owner_gives_question_row_with_reason)
{
        char *out = render("[{\"proto\":\"udp\",\"family\":\"ipv4\",\"address\":\"127.0.0.1\",\"port\":53,"
                           "\"v6only\":false,\"interface\":null,\"inode\":9,\"uid\":101,\"owners\":[],"
                           "\"owner_status\":\"unknown\",\"owner_reason\":\"no process holds it\"}]");
        char c[8][128];

        ck_assert_int_eq(count_lines(out), 2);
        char *hdr = line(out, 0), *r1 = line(out, 1);
        ck_assert_int_eq(cells(hdr, c, 8), 8);
        ck_assert_str_eq(c[7], "NOTE");
        ck_assert_int_eq(cells(r1, c, 8), 8);
        ck_assert_str_eq(c[0], "udp");
        ck_assert_str_eq(c[1], "127.0.0.1:53");
        ck_assert_str_eq(c[2], "?");
        ck_assert_str_eq(c[3], "101");      /* the socket's uid */
        ck_assert_str_eq(c[4], "?");
        ck_assert_str_eq(c[7], "no process holds it");
        free(hdr);
        free(r1);
        free(out);
}
END_TEST

START_TEST(ipv6_brackets_interface_and_v6only)
{
        char *out = render("[" LISTENER("ipv6", "::", 443, "", NGINX_OWNER(812, "root")) ","
                           "{\"proto\":\"udp\",\"family\":\"ipv6\",\"address\":\"fe80::1\",\"port\":546,"
                           "\"v6only\":true,\"interface\":\"eth0\",\"inode\":2,\"uid\":0,"
                           "\"owners\":[" NGINX_OWNER(900, "root") "],\"owner_status\":\"ok\"},"
                           "{\"proto\":\"udp\",\"family\":\"ipv4\",\"address\":\"127.0.0.53\",\"port\":53,"
                           "\"v6only\":false,\"interface\":\"lo\",\"inode\":3,\"uid\":0,"
                           "\"owners\":[" NGINX_OWNER(901, "root") "],\"owner_status\":\"ok\"}]");
        char c[8][128];
        char *r1 = line(out, 1), *r2 = line(out, 2), *r3 = line(out, 3);

        ck_assert_int_eq(cells(r1, c, 8), 7);
        ck_assert_str_eq(c[1], "[::]:443");
        ck_assert_int_eq(cells(r2, c, 8), 8);
        ck_assert_str_eq(c[1], "[fe80::1]%eth0:546");
        ck_assert_str_eq(c[7], "v6only");
        ck_assert_int_eq(cells(r3, c, 8), 7);
        ck_assert_str_eq(c[1], "127.0.0.53%lo:53");
        free(r1);
        free(r2);
        free(r3);
        free(out);
}
END_TEST

START_TEST(deleted_exe_and_user_unit)
{
        char *out = render("[" LISTENER("ipv4", "0.0.0.0", 8080, "",
                           "{\"pid\":4242,\"comm\":\"app\",\"exe\":\"/opt/app/bin/app\",\"exe_deleted\":true,"
                           "\"uid\":1000,\"user\":null,\"unit\":\"user@1000.service\","
                           "\"user_unit\":\"app.service\",\"fds\":[3]},"
                           "{\"pid\":4243,\"comm\":\"k\",\"exe\":null,\"uid\":0,\"user\":\"root\","
                           "\"unit\":null,\"incomplete\":true}") "]");
        char c[8][128];
        char *r1 = line(out, 1), *r2 = line(out, 2);

        ck_assert_int_eq(cells(r1, c, 8), 7);
        ck_assert_str_eq(c[3], "1000");                 /* no name: the uid */
        ck_assert_str_eq(c[5], "user@1000.service/app.service");
        ck_assert_str_eq(c[6], "/opt/app/bin/app (deleted)");
        ck_assert_int_eq(cells(r2, c, 8), 8);
        ck_assert_str_eq(c[5], "-");
        ck_assert_str_eq(c[6], "-");
        ck_assert_str_eq(c[7], "incomplete");
        free(r1);
        free(r2);
        free(out);
}
END_TEST

/* Provenance marks in NOTE (docs/PROVENANCE.md): short, after the listener's own note. */
START_TEST(provenance_marks)
{
        char *out = render("[" LISTENER("ipv4", "0.0.0.0", 443, "",
                           "{\"pid\":1,\"comm\":\"a\",\"exe\":\"/usr/sbin/nginx\",\"uid\":0,\"user\":\"root\","
                           "\"exe_location\":\"normal\",\"package\":{\"status\":\"modified\"},\"fds\":[3]},"
                           "{\"pid\":2,\"comm\":\"b\",\"exe\":\"/tmp/x\",\"uid\":0,\"user\":\"root\","
                           "\"exe_location\":\"tmp\",\"package\":{\"status\":\"not_packaged\"},\"fds\":[3]},"
                           "{\"pid\":3,\"comm\":\"c\",\"exe\":\"/memfd:x\",\"uid\":0,\"user\":\"root\","
                           "\"exe_location\":\"memfd\",\"package\":{\"status\":\"not_packaged\"},\"fds\":[3]},"
                           "{\"pid\":4,\"comm\":\"d\",\"exe\":\"/srv/d\",\"exe_deleted\":true,\"uid\":0,\"user\":\"root\","
                           "\"exe_location\":\"deleted\",\"package\":{\"status\":\"deleted\"},\"fds\":[3]},"
                           "{\"pid\":5,\"comm\":\"e\",\"exe\":\"/srv/e\",\"uid\":0,\"user\":\"root\","
                           "\"exe_location\":\"world_writable_dir\",\"package\":{\"status\":\"verified\"},\"fds\":[3]},"
                           "{\"pid\":6,\"comm\":\"f\",\"exe\":\"/usr/bin/f\",\"uid\":0,\"user\":\"root\","
                           "\"exe_location\":\"normal\",\"package\":{\"status\":\"verified\"},\"fds\":[3]}") "]");
        static const char *const want[] = { "modified!", "not packaged, in /tmp", "not packaged, memfd", "deleted",
                                            "world-writable dir" };
        char c[8][128];

        for (int i = 0; i < 5; i++) {
                char *r = line(out, i + 1);

                ck_assert_int_eq(cells(r, c, 8), 8);
                ck_assert_str_eq(c[7], want[i]);
                free(r);
        }
        char *r6 = line(out, 6);
        ck_assert_int_eq(cells(r6, c, 8), 7);   /* verified, normal: no note */
        free(r6);
        free(out);
}
END_TEST

START_TEST(hostile_text_is_escaped)
{
        char *out = render("[" LISTENER("ipv4", "0.0.0.0", 443, "",
                           "{\"pid\":666,\"comm\":\"evil\\ntcp    0.0.0.0:22\",\"exe\":\"/tmp/\\u001b[31mred\\u001b[0m\","
                           "\"exe_deleted\":false,\"uid\":0,\"user\":\"root\",\"unit\":\"x\\r\\u009b.service\",\"fds\":[3]}") "]");

        /* One header and one row: the newline in comm could not forge a row. */
        ck_assert_int_eq(count_lines(out), 2);
        for (const unsigned char *p = (const unsigned char *) out; *p; p++)
                ck_assert_msg(*p == '\n' || (*p >= 0x20 && *p != 0x7f && *p < 0x80),
                              "raw byte 0x%02x in the table", *p);
        ck_assert_ptr_nonnull(strstr(out, "evil\\ntcp    0.0.0.0:22"));
        ck_assert_ptr_nonnull(strstr(out, "/tmp/\\x1b[31mred\\x1b[0m"));
        ck_assert_ptr_nonnull(strstr(out, "x\\r\\u009b.service"));
        free(out);
}
END_TEST

START_TEST(columns_align)
{
        char *out = render("[" LISTENER("ipv6", "2001:db8::1234:5678", 65535, "",
                                        NGINX_OWNER(1, "root") "," NGINX_OWNER(4194304, "a-long-user-name")) ","
                           LISTENER("ipv4", "10.0.0.1", 1, "", NGINX_OWNER(77, "x")) "]");
        int n = count_lines(out);
        ck_assert_int_eq(n, 4);

        /* Every column starts at the same offset on every line. */
        const char *heads[] = { "LOCAL", "PID", "USER", "COMMAND", "UNIT", "EXE" };
        char *hdr = line(out, 0);
        for (size_t h = 0; h < sizeof heads / sizeof heads[0]; h++) {
                size_t col = (size_t) (strstr(hdr, heads[h]) - hdr);
                for (int i = 1; i < n; i++) {
                        char *row = line(out, i);
                        ck_assert_msg(strlen(row) > col && row[col] != ' ' && row[col - 1] == ' ' &&
                                      row[col - 2] == ' ', "column %s misaligned on line %d: '%s'",
                                      heads[h], i, row);
                        /* no trailing blanks */
                        ck_assert_int_ne(row[strlen(row) - 1], ' ');
                        free(row);
                }
        }
        ck_assert_ptr_nonnull(strstr(out, "[2001:db8::1234:5678]:65535  "));
        free(hdr);
        free(out);
}
END_TEST

START_TEST(width_counts_code_points)
{
        /* "café" is 5 bytes, 4 columns wide: the next column still lines up. */
        char *out = render("[" LISTENER("ipv4", "0.0.0.0", 1, "",
                           "{\"pid\":1,\"comm\":\"caf\\u00e9\",\"exe\":\"/a\",\"uid\":0,\"user\":\"u\",\"unit\":null},"
                           "{\"pid\":2,\"comm\":\"abcd\",\"exe\":\"/b\",\"uid\":0,\"user\":\"u\",\"unit\":null}") "]");
        char *r1 = line(out, 1), *r2 = line(out, 2);

        ck_assert_ptr_nonnull(strstr(r1, "caf\xc3\xa9     -     /a"));
        ck_assert_ptr_nonnull(strstr(r2, "abcd     -     /b"));
        free(r1);
        free(r2);
        free(out);
}
END_TEST

START_TEST(other_netns_is_noted)
{
        /* LISTENER() records are in netns 1, the viewer's (see render()). */
        char *out = render("[" LISTENER("ipv4", "0.0.0.0", 443, "", NGINX_OWNER(1, "root")) ","
                           "{\"proto\":\"tcp\",\"family\":\"ipv6\",\"address\":\"::\",\"port\":443,"
                           "\"v6only\":true,\"netns\":4026532247,\"netns_name\":null,"
                           "\"owners\":[" NGINX_OWNER(2, "root") "]},"
                           "{\"proto\":\"tcp\",\"family\":\"ipv4\",\"address\":\"0.0.0.0\",\"port\":443,"
                           "\"netns\":7,\"netns_name\":\"blue\",\"owners\":[]}]");
        char c[8][128];
        char *r1 = line(out, 1), *r2 = line(out, 2), *r3 = line(out, 3);

        ck_assert_int_eq(cells(r1, c, 8), 7);
        ck_assert_int_eq(cells(r2, c, 8), 8);
        ck_assert_str_eq(c[7], "v6only, netns 4026532247");
        ck_assert_int_eq(cells(r3, c, 8), 8);
        ck_assert_str_eq(c[7], "netns blue, owner unknown");
        free(r1);
        free(r2);
        free(r3);
        free(out);
}
END_TEST

START_TEST(missing_fields_do_not_fail)
{
        char *out = render("[{}, 42, {\"owners\":[{}]}]");
        char c[8][128];
        char *r1 = line(out, 1);

        ck_assert_int_eq(count_lines(out), 4);
        ck_assert_int_ge(cells(r1, c, 8), 7);
        ck_assert_str_eq(c[0], "?");
        ck_assert_str_eq(c[1], "?:?");
        free(r1);
        free(out);
}
END_TEST

START_TEST(empty_list_prints_header)
{
        char *out = render("[]");
        ck_assert_str_eq(out, "PROTO  LOCAL  PID  USER  COMMAND  UNIT  EXE  NOTE\n");
        free(out);
}
END_TEST

START_TEST(event_line)
{
        json_t *ev = json_loads("{\"event\":\"owner_changed\",\"time\":\"2026-11-23T15:04:05.123456Z\","
                                "\"listener\":" LISTENER("ipv6", "::", 443, "\"cookie\":5,",
                                                         NGINX_OWNER(812, "root") "," NGINX_OWNER(813, "root")) ","
                                "\"previous_owners\":[{\"pid\":700,\"ppid\":1,\"uid\":4242,\"cmdline\":[],"
                                "\"fds\":[3],\"comm\":\"apache2\\n\",\"unit\":\"apache2.service\"}],"
                                "\"reason\":\"new program\"}", 0, NULL);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        ck_assert_ptr_nonnull(ev);
        ck_assert_int_eq(event_print(f, ev), 0);
        fclose(f);
        /* One program for two pids; the place says netns and brackets IPv6; a nameless uid is its number. */
        ck_assert_str_eq(buf, "2026-11-23T15:04:05.123456Z owner_changed 443/tcp on [::] in netns net:[1]: "
                              "nginx (root, nginx.service) \xc3\x97" "2; "
                              "was apache2\\n[700] (4242, apache2.service); new program\n");
        free(buf);
        json_decref(ev);
}
END_TEST

/* A summary names no listener: the line is its name and reason (escaped). */
START_TEST(event_line_summary)
{
        json_t *ev = json_loads("{\"event\":\"listeners_short_lived\",\"time\":\"2026-11-23T15:04:05.123456Z\","
                                "\"reason\":\"3 short-lived listeners; last: x\\u001b\","
                                "\"short_lived\":{\"listeners\":3}}", 0, NULL);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        ck_assert_ptr_nonnull(ev);
        ck_assert_int_eq(event_print(f, ev), 0);
        fclose(f);
        ck_assert_str_eq(buf, "2026-11-23T15:04:05.123456Z listeners_short_lived: 3 short-lived listeners; last: x\\x1b\n");
        free(buf);
        json_decref(ev);
}
END_TEST

START_TEST(status_lines)
{
        json_t *st = json_loads("{\"version\":\"0.1.0\",\"pid\":1234,\"started\":\"T\",\"uptime_sec\":12.5,"
                                "\"socket\":\"/run/s\\u001b\",\"socket_activated\":false,\"scans\":3}", 0, NULL);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        ck_assert_int_eq(status_print(f, st), 0);
        fclose(f);
        /* Lines whose fields are missing are left out. */
        ck_assert_str_eq(buf, "Version:       0.1.0\n"
                              "PID:           1234\n"
                              "Started:       T (up 12.5 s)\n"
                              "Socket:        /run/s\\x1b (socket-activated: no)\n");
        free(buf);
        json_decref(st);
}
END_TEST

Suite *table_suite(void)
{
        Suite *s = suite_create("table");
        TCase *tc = tcase_create("table");

        tcase_add_test(tc, two_holders_two_rows);
        tcase_add_test(tc, no_owner_gives_question_row_with_reason);
        tcase_add_test(tc, ipv6_brackets_interface_and_v6only);
        tcase_add_test(tc, deleted_exe_and_user_unit);
        tcase_add_test(tc, provenance_marks);
        tcase_add_test(tc, hostile_text_is_escaped);
        tcase_add_test(tc, columns_align);
        tcase_add_test(tc, width_counts_code_points);
        tcase_add_test(tc, other_netns_is_noted);
        tcase_add_test(tc, missing_fields_do_not_fail);
        tcase_add_test(tc, empty_list_prints_header);
        tcase_add_test(tc, event_line);
        tcase_add_test(tc, event_line_summary);
        tcase_add_test(tc, status_lines);
        suite_add_tcase(s, tc);
        return s;
}
