/* SPDX-License-Identifier: MIT */
/* Request parsing and reply building (daemon/request.c): every valid form, every error class. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "request.h"
#include "sockaudit.h"

static request parse_ok(const char *line, size_t len)
{
        request_error err = { .code = _REQUEST_ERROR_MAX };
        request req;
        int r = request_parse(line, len, &err, &req);

        ck_assert_msg(r == 0, "%s: %d %s", line, r, err.message);
        ck_assert_int_eq(err.code, _REQUEST_ERROR_MAX);   /* untouched */
        return req;
}
#define PARSE_OK(s) parse_ok((s), strlen(s))

/* The error must be of class code, and its message printable ASCII. */
static request_error parse_fail(const char *line, size_t len, request_error_code code)
{
        request sentinel = { .cmd = REQUEST_REFRESH, .port = 4242, .protos = 99 };
        request req = sentinel;
        request_error err;
        int r = request_parse(line, len, &err, &req);

        ck_assert_int_eq(r, -EINVAL);
        ck_assert_msg(err.code == code, "expected %s, got %s (%s)", request_error_code_name(code),
                      request_error_code_name(err.code), err.message);
        ck_assert(memcmp(&req, &sentinel, sizeof(req)) == 0);        /* untouched */
        ck_assert(err.message[0] != '\0');
        for (const char *p = err.message; *p; p++)
                ck_assert_msg(*p >= 0x20 && *p < 0x7f, "byte 0x%02x in message", (unsigned char) *p);
        return err;
}
#define PARSE_FAIL(s, code) parse_fail((s), strlen(s), (code))

START_TEST(valid_forms)
{
        request r;

        r = PARSE_OK("{\"cmd\":\"who\",\"port\":443}");
        ck_assert_int_eq(r.cmd, REQUEST_WHO);
        ck_assert_int_eq(r.port, 443);
        ck_assert_uint_eq(r.protos, SA_PROTO_ANY);

        r = PARSE_OK("{\"cmd\":\"who\",\"port\":443,\"proto\":\"tcp\"}");
        ck_assert_uint_eq(r.protos, SA_PROTO_TCP);
        r = PARSE_OK("{\"proto\":\"udp\",\"port\":53,\"cmd\":\"who\"}");
        ck_assert_uint_eq(r.protos, SA_PROTO_UDP);
        ck_assert_int_eq(r.port, 53);
        r = PARSE_OK("{\"cmd\":\"who\",\"port\":1,\"proto\":\"any\"}");
        ck_assert_uint_eq(r.protos, SA_PROTO_ANY);
        ck_assert_int_eq(r.port, 1);
        r = PARSE_OK("{\"cmd\":\"who\",\"port\":65535}");
        ck_assert_int_eq(r.port, 65535);

        r = PARSE_OK("{\"cmd\":\"list\"}");
        ck_assert_int_eq(r.cmd, REQUEST_LIST);
        ck_assert_int_eq(r.port, 0);
        ck_assert_uint_eq(r.protos, SA_PROTO_ANY);
        r = PARSE_OK("{\"cmd\":\"list\",\"port\":443}");
        ck_assert_int_eq(r.port, 443);
        r = PARSE_OK("{\"cmd\":\"list\",\"proto\":\"udp\"}");
        ck_assert_uint_eq(r.protos, SA_PROTO_UDP);
        ck_assert_int_eq(r.form, REQUEST_FORM_FULL);
        r = PARSE_OK("{\"cmd\":\"list\",\"form\":\"compact\"}");
        ck_assert_int_eq(r.form, REQUEST_FORM_COMPACT);
        r = PARSE_OK("{\"cmd\":\"who\",\"port\":22,\"form\":\"full\"}");
        ck_assert_int_eq(r.form, REQUEST_FORM_FULL);
        r = PARSE_OK("{\"form\":\"compact\",\"cmd\":\"who\",\"port\":22}");
        ck_assert_int_eq(r.form, REQUEST_FORM_COMPACT);

        r = PARSE_OK("{\"cmd\":\"status\"}");
        ck_assert_int_eq(r.cmd, REQUEST_STATUS);
        r = PARSE_OK("{\"cmd\":\"refresh\"}");
        ck_assert_int_eq(r.cmd, REQUEST_REFRESH);

        /* JSON whitespace, a CR from a CRLF client, and \u escapes are fine. */
        r = PARSE_OK("  { \"cmd\" : \"status\" }\r");
        ck_assert_int_eq(r.cmd, REQUEST_STATUS);
        r = PARSE_OK("{\"cmd\":\"\\u0077ho\",\"port\":80}");
        ck_assert_int_eq(r.cmd, REQUEST_WHO);
}
END_TEST

/* "form": who and list only, a known name, a string. */
START_TEST(form_checked)
{
        PARSE_FAIL("{\"cmd\":\"list\",\"form\":\"Compact\"}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"list\",\"form\":\"compact\\u0000\"}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"list\",\"form\":1}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"list\",\"form\":null}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"status\",\"form\":\"compact\"}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"list\",\"form\":\"compact\",\"form\":\"full\"}", REQUEST_ERROR_BAD_REQUEST);
}
END_TEST

START_TEST(garbage_and_invalid_json)
{
        PARSE_FAIL("hello", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"status\"", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"status\"} trailing", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"status\"}{\"cmd\":\"status\"}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{'cmd':'status'}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("\x1b[31m{\x7f", REQUEST_ERROR_BAD_REQUEST);
}
END_TEST

START_TEST(not_an_object)
{
        PARSE_FAIL("[]", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("[{\"cmd\":\"status\"}]", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("\"status\"", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("42", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("null", REQUEST_ERROR_BAD_REQUEST);
}
END_TEST

START_TEST(cmd_missing_or_wrong_type)
{
        PARSE_FAIL("{}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"port\":443}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":1}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":null}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":[\"who\"]}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":true}", REQUEST_ERROR_BAD_REQUEST);
        /* Duplicate keys are refused, not "last one wins". */
        PARSE_FAIL("{\"cmd\":\"status\",\"cmd\":\"refresh\"}", REQUEST_ERROR_BAD_REQUEST);
}
END_TEST

START_TEST(port_and_proto_types_and_ranges)
{
        PARSE_FAIL("{\"cmd\":\"who\",\"port\":\"443\"}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"who\",\"port\":0}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"who\",\"port\":70000}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"who\",\"port\":65536}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"who\",\"port\":-1}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"who\",\"port\":443.0}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"who\",\"port\":null}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"who\",\"port\":99999999999999999999999}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"list\",\"port\":0}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"who\"}", REQUEST_ERROR_BAD_REQUEST);           /* port required */
        PARSE_FAIL("{\"cmd\":\"who\",\"proto\":\"tcp\"}", REQUEST_ERROR_BAD_REQUEST);

        PARSE_FAIL("{\"cmd\":\"who\",\"port\":443,\"proto\":\"sctp\"}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"who\",\"port\":443,\"proto\":\"TCP\"}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"who\",\"port\":443,\"proto\":6}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"list\",\"proto\":\"\"}", REQUEST_ERROR_BAD_REQUEST);
}
END_TEST

START_TEST(unknown_fields)
{
        request_error e;

        e = PARSE_FAIL("{\"cmd\":\"status\",\"verbose\":true}", REQUEST_ERROR_BAD_REQUEST);
        ck_assert_ptr_nonnull(strstr(e.message, "verbose"));
        PARSE_FAIL("{\"cmd\":\"who\",\"port\":443,\"pid\":1}", REQUEST_ERROR_BAD_REQUEST);
        /* port/proto belong to who and list only */
        PARSE_FAIL("{\"cmd\":\"status\",\"port\":443}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"refresh\",\"proto\":\"tcp\"}", REQUEST_ERROR_BAD_REQUEST);
        /* a hostile key is quoted escaped */
        e = PARSE_FAIL("{\"cmd\":\"status\",\"\\u001b[2J\\n\\\"x\":1}", REQUEST_ERROR_BAD_REQUEST);
        ck_assert_ptr_nonnull(strstr(e.message, "\\x1b[2J\\x0a\\\"x"));
}
END_TEST

START_TEST(unknown_commands)
{
        request_error e;

        e = PARSE_FAIL("{\"cmd\":\"reboot\"}", REQUEST_ERROR_UNKNOWN_CMD);
        ck_assert_ptr_nonnull(strstr(e.message, "reboot"));
        PARSE_FAIL("{\"cmd\":\"\"}", REQUEST_ERROR_UNKNOWN_CMD);
        PARSE_FAIL("{\"cmd\":\"WHO\",\"port\":443}", REQUEST_ERROR_UNKNOWN_CMD);
        /* watch and check are known, and take no fields. */
        ck_assert_int_eq(PARSE_OK("{\"cmd\":\"watch\"}").cmd, REQUEST_WATCH);
        ck_assert_int_eq(PARSE_OK("{\"cmd\":\"check\"}").cmd, REQUEST_CHECK);
        PARSE_FAIL("{\"cmd\":\"check\",\"x\":1}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"watch\",\"port\":443}", REQUEST_ERROR_BAD_REQUEST);
        /* An unknown command wins over unknown fields: its fields are unknowable. */
        PARSE_FAIL("{\"cmd\":\"frobnicate\",\"port\":\"x\"}", REQUEST_ERROR_UNKNOWN_CMD);
        /* Long, hostile command names are cut and escaped. */
        e = PARSE_FAIL("{\"cmd\":\"\\u0007\\u009b\\u00e9aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
                       REQUEST_ERROR_UNKNOWN_CMD);
        ck_assert_ptr_nonnull(strstr(e.message, "\\x07"));
        ck_assert_ptr_nonnull(strstr(e.message, "..."));
        ck_assert_uint_lt(strlen(e.message), 200);
}
END_TEST

START_TEST(invalid_utf8_and_nul)
{
        static const char bad_in_string[] = "{\"cmd\":\"st\xff\xfe" "atus\"}";
        static const char bad_outside[] = "\xc3\x28{\"cmd\":\"status\"}";
        static const char overlong[] = "{\"cmd\":\"\xc0\xaf\"}";
        static const char nul_in_string[] = "{\"cmd\":\"sta\0tus\"}";
        static const char nul_after[] = "{\"cmd\":\"status\"}\0garbage";
        static const char nul_first[] = "\0{\"cmd\":\"status\"}";

        parse_fail(bad_in_string, sizeof(bad_in_string) - 1, REQUEST_ERROR_BAD_REQUEST);
        parse_fail(bad_outside, sizeof(bad_outside) - 1, REQUEST_ERROR_BAD_REQUEST);
        parse_fail(overlong, sizeof(overlong) - 1, REQUEST_ERROR_BAD_REQUEST);
        parse_fail(nul_in_string, sizeof(nul_in_string) - 1, REQUEST_ERROR_BAD_REQUEST);
        parse_fail(nul_after, sizeof(nul_after) - 1, REQUEST_ERROR_BAD_REQUEST);
        parse_fail(nul_first, sizeof(nul_first) - 1, REQUEST_ERROR_BAD_REQUEST);
        /* \u0000 inside a value: refused, so "tcp\u0000x" can never pass as "tcp". */
        PARSE_FAIL("{\"cmd\":\"status\\u0000\"}", REQUEST_ERROR_BAD_REQUEST);
        PARSE_FAIL("{\"cmd\":\"who\",\"port\":1,\"proto\":\"tcp\\u0000x\"}", REQUEST_ERROR_BAD_REQUEST);
        /* A lone surrogate escape is not valid UTF-8 either. */
        PARSE_FAIL("{\"cmd\":\"\\ud800\"}", REQUEST_ERROR_BAD_REQUEST);
}
END_TEST

START_TEST(deep_nesting_and_big_input)
{
        size_t n = 200000;
        char *s = malloc(n + 1);

        /* Deeper than jansson's depth limit: an error, not a stack overflow. */
        ck_assert_ptr_nonnull(s);
        memset(s, '[', n);
        s[n] = '\0';
        parse_fail(s, n, REQUEST_ERROR_BAD_REQUEST);
        memset(s, '{', n);
        parse_fail(s, n, REQUEST_ERROR_BAD_REQUEST);
        /* Every byte value, in a buffer with no terminating NUL past len. */
        for (size_t i = 0; i < n; i++)
                s[i] = (char) (i * 7 + 3);
        parse_fail(s, n, REQUEST_ERROR_BAD_REQUEST);
        free(s);
}
END_TEST

/* A reply line parses back and is exactly one line. */
static json_t *reparse(const json_t *reply)
{
        char *line = NULL;
        size_t len = 0;
        json_error_t e;
        json_t *back;

        ck_assert_int_eq(reply_format(reply, &line, &len), 0);
        ck_assert_uint_eq(len, strlen(line));
        ck_assert_int_eq(line[len - 1], '\n');
        ck_assert_ptr_eq(strchr(line, '\n'), line + len - 1);
        back = json_loadb(line, len, 0, &e);
        ck_assert_msg(back != NULL, "%s: %s", line, e.text);
        free(line);
        return back;
}

START_TEST(replies)
{
        json_t *r, *back;
        char want[64];

        r = reply_ok();
        back = reparse(r);
        ck_assert(json_is_true(json_object_get(back, "ok")));
        json_decref(back);
        json_decref(r);

        for (int code = 0; code < _REQUEST_ERROR_MAX; code++) {
                r = reply_error((request_error_code) code, "problem %d with \"quotes\"\nand a newline", code);
                ck_assert_ptr_nonnull(r);
                back = reparse(r);
                ck_assert(json_is_false(json_object_get(back, "ok")));
                ck_assert_str_eq(json_string_value(json_object_get(json_object_get(back, "error"), "code")),
                                 request_error_code_name((request_error_code) code));
                snprintf(want, sizeof(want), "problem %d with \"quotes\"\nand a newline", code);
                ck_assert_str_eq(json_string_value(json_object_get(json_object_get(back, "error"), "message")),
                                 want);
                json_decref(back);
                json_decref(r);
        }

        /* Untrusted bytes as an argument: the reply stays valid UTF-8 JSON. */
        r = reply_error(REQUEST_ERROR_INTERNAL, "bad %s", "\xff\xfe\xc3");
        ck_assert_ptr_nonnull(r);
        back = reparse(r);
        ck_assert_str_eq(json_string_value(json_object_get(json_object_get(back, "error"), "message")),
                         "bad ???");
        json_decref(back);
        json_decref(r);

        ck_assert_str_eq(request_error_code_name(REQUEST_ERROR_TOO_LARGE), "too_large");
        ck_assert_str_eq(request_error_code_name(REQUEST_ERROR_DENIED), "denied");
        ck_assert_ptr_null(request_error_code_name(_REQUEST_ERROR_MAX));
        ck_assert_str_eq(request_cmd_name(REQUEST_REFRESH), "refresh");
        ck_assert_ptr_null(request_cmd_name(_REQUEST_CMD_MAX));

        back = json_loads(reply_out_of_memory_line, 0, NULL);
        ck_assert_ptr_nonnull(back);
        json_decref(back);
}
END_TEST

/* Every parse error becomes a reply that round-trips. */
START_TEST(error_messages_make_valid_replies)
{
        static const char *const lines[] = {
                "\xff", "{\"cmd\":\"\\u00ff\\u2028\"}", "{\"cmd\":\"status\",\"\\u00e9\":1}",
                "{\"a\":\"\xe2\x82\"}", "}}}}",
        };

        for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
                request_error err;
                request req;
                json_t *r, *back;

                ck_assert_int_lt(request_parse(lines[i], strlen(lines[i]), &err, &req), 0);
                r = reply_error(err.code, "%s", err.message);
                ck_assert_ptr_nonnull(r);
                back = reparse(r);
                json_decref(back);
                json_decref(r);
        }
}
END_TEST

/* A who/list/tls request survives being a deferred reply's ticket; tickets fit their bits. */
START_TEST(listeners_pack_round_trip)
{
        static const request reqs[] = {
                { .cmd = REQUEST_WHO, .port = 443, .protos = SA_PROTO_TCP, .form = REQUEST_FORM_FULL },
                { .cmd = REQUEST_LIST, .port = 0, .protos = SA_PROTO_ANY, .form = REQUEST_FORM_COMPACT },
                { .cmd = REQUEST_WHO, .port = 65535, .protos = SA_PROTO_UDP, .form = REQUEST_FORM_COMPACT },
                { .cmd = REQUEST_TLS, .port = 4444, .protos = SA_PROTO_TCP, .form = REQUEST_FORM_FULL },
        };

        for (size_t i = 0; i < sizeof reqs / sizeof *reqs; i++) {
                uint64_t t = request_listeners_pack(&reqs[i]);
                request back = request_listeners_unpack(t | (UINT64_C(7) << REQUEST_PACK_BITS));

                ck_assert_uint_lt(t, UINT64_C(1) << REQUEST_PACK_BITS);
                ck_assert_int_eq(back.cmd, reqs[i].cmd);
                ck_assert_uint_eq(back.port, reqs[i].port);
                ck_assert_uint_eq(back.protos, reqs[i].protos);
                ck_assert_int_eq(back.form, reqs[i].form);
        }
}
END_TEST

/* Every command has a handler; any admitted peer (root or group sockaudit) may call each. */
START_TEST(command_table_covers_every_command)
{
        for (unsigned i = 0; i < _REQUEST_CMD_MAX; i++) {
                ck_assert_ptr_nonnull(request_cmd_name((request_cmd) i));
                ck_assert_msg(command_table[i].handler, "no handler for %s", request_cmd_name((request_cmd) i));
                ck_assert_int_eq(command_table[i].access, COMMAND_ACCESS_PEER);
        }
}
END_TEST

Suite *request_suite(void)
{
        Suite *s = suite_create("request");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, valid_forms);
        tcase_add_test(tc, form_checked);
        tcase_add_test(tc, garbage_and_invalid_json);
        tcase_add_test(tc, not_an_object);
        tcase_add_test(tc, cmd_missing_or_wrong_type);
        tcase_add_test(tc, port_and_proto_types_and_ranges);
        tcase_add_test(tc, unknown_fields);
        tcase_add_test(tc, unknown_commands);
        tcase_add_test(tc, invalid_utf8_and_nul);
        tcase_add_test(tc, deep_nesting_and_big_input);
        tcase_add_test(tc, replies);
        tcase_add_test(tc, error_messages_make_valid_replies);
        tcase_add_test(tc, command_table_covers_every_command);
        tcase_add_test(tc, listeners_pack_round_trip);
        suite_add_tcase(s, tc);
        return s;
}
