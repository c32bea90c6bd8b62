/* SPDX-License-Identifier: MIT */
/* explain's words for an owner's package verdict (cli/provenancetext.c), from owner records. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "provenancetext.h"

#define SHA "6f1e0c1b2a3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7"

/* The words for an owner record given as JSON text; NULL for none. Caller frees. */
static char *words(const char *record)
{
        json_error_t err;
        json_t *o = json_loads(record, 0, &err);
        char *w = (char *) 0x1;

        ck_assert_msg(o != NULL, "bad fixture: %s", err.text);
        ck_assert_int_eq(provenance_words(o, &w), 0);
        json_decref(o);
        return w;
}

static void expect(const char *record, const char *want)
{
        char *w = words(record);

        ck_assert_ptr_nonnull(w);
        ck_assert_str_eq(w, want);
        free(w);
}

START_TEST(each_verdict_in_words)
{
        expect("{\"exe\":\"/usr/sbin/nginx\",\"exe_location\":\"normal\",\"exe_sha256\":\"" SHA "\","
               "\"package\":{\"name\":\"nginx\",\"version\":\"1.22.1-9+deb12u1\",\"architecture\":\"amd64\","
               "\"status\":\"verified\",\"reason\":\"x\"}}",
               "/usr/sbin/nginx from nginx 1.22.1-9+deb12u1, verified against the package; sha256 " SHA);
        expect("{\"exe\":\"/usr/sbin/nginx\",\"exe_location\":\"normal\",\"exe_sha256\":\"" SHA "\","
               "\"package\":{\"name\":\"nginx\",\"version\":\"1.22.1\",\"architecture\":\"amd64\","
               "\"status\":\"modified\",\"reason\":\"x\"}}",
               "/usr/sbin/nginx differs from what nginx 1.22.1 shipped (modified); sha256 " SHA);
        expect("{\"exe\":\"/tmp/python3\",\"exe_location\":\"tmp\",\"exe_sha256\":null,"
               "\"package\":{\"name\":null,\"version\":null,\"architecture\":null,"
               "\"status\":\"not_packaged\",\"reason\":\"x\"}}",
               "/tmp/python3 is not from any installed package, running from /tmp");
        expect("{\"exe\":\"/srv/drop/x\",\"exe_location\":\"world_writable_dir\","
               "\"package\":{\"name\":null,\"status\":\"not_packaged\",\"reason\":\"x\"}}",
               "/srv/drop/x is not from any installed package, running from /srv/drop, a world-writable directory");
        expect("{\"exe\":\"/memfd:x\",\"exe_location\":\"memfd\","
               "\"package\":{\"name\":null,\"status\":\"not_packaged\",\"reason\":\"x\"}}",
               "/memfd:x runs from memory (memfd), not from any installed package");
        expect("{\"exe\":\"/usr/sbin/nginx\",\"exe_location\":\"deleted\","
               "\"package\":{\"name\":\"nginx\",\"version\":\"1.22.1\",\"status\":\"deleted\",\"reason\":\"x\"}}",
               "/usr/sbin/nginx: image deleted on disk: nginx 1.22.1 upgraded under a running process, needs restart");
        expect("{\"exe\":\"/tmp/.x\",\"exe_location\":\"deleted\","
               "\"package\":{\"name\":null,\"status\":\"deleted\",\"reason\":\"x\"}}",
               "/tmp/.x: image deleted on disk, not from any installed package");
        expect("{\"exe\":\"/usr/bin/foo\",\"exe_location\":\"normal\","
               "\"package\":{\"name\":\"foo\",\"status\":\"unverifiable\",\"reason\":\"foo has no md5sums file\"}}",
               "/usr/bin/foo cannot be verified: foo has no md5sums file");
        /* A status this CLI does not know (a newer daemon): said as it is. */
        expect("{\"exe\":\"/x\",\"package\":{\"status\":\"signed\",\"reason\":\"r\"}}",
               "/x: package verdict \"signed\": r");
}
END_TEST

START_TEST(no_verdict_no_words)
{
        ck_assert_ptr_null(words("{\"exe\":\"/usr/sbin/nginx\"}"));
        ck_assert_ptr_null(words("{\"exe\":\"/usr/sbin/nginx\",\"package\":null}"));
        ck_assert_ptr_null(words("{\"exe\":\"/usr/sbin/nginx\",\"package\":{\"status\":7}}"));
        /* Missing exe or package name: "?" rather than nothing. */
        char *w = words("{\"package\":{\"status\":\"modified\"}}");
        ck_assert_str_eq(w, "? differs from what ? ? shipped (modified)");
        free(w);
}
END_TEST

Suite *provenancetext_suite(void)
{
        Suite *s = suite_create("provenancetext");
        TCase *tc = tcase_create("words");
        tcase_add_test(tc, each_verdict_in_words);
        tcase_add_test(tc, no_verdict_no_words);
        suite_add_tcase(s, tc);
        return s;
}
