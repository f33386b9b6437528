/* test_pathmatch.c: include patterns (our own matcher, not glob(3)). */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pathmatch.h"
#include "util.h"

START_TEST(star_question_and_brackets_match_like_the_shell)
{
	ck_assert(wildcard_match("*.ini", "web.ini"));
	ck_assert(!wildcard_match("*.ini", "web.ini.bak"));
	ck_assert(wildcard_match("w?b.ini", "web.ini"));
	ck_assert(wildcard_match("[a-c]*.ini", "b.ini"));
	ck_assert(!wildcard_match("[a-c]*.ini", "d.ini"));
	ck_assert(wildcard_match("[!a-c]*.ini", "d.ini"));
	ck_assert(wildcard_match("10-*", "10-web"));
	ck_assert(wildcard_match("\\*.ini", "*.ini"));
	ck_assert(!wildcard_match("\\*.ini", "a.ini"));
	ck_assert(wildcard_match("[.ini", "[.ini")); /* unclosed bracket is literal */
}
END_TEST

START_TEST(hidden_files_need_a_literal_dot)
{
	ck_assert(!wildcard_match("*.ini", ".hidden.ini"));
	ck_assert(wildcard_match(".*.ini", ".hidden.ini"));
}
END_TEST

START_TEST(wildcards_are_found_unless_escaped)
{
	ck_assert(has_wildcards("/etc/tend.d/*.ini"));
	ck_assert(has_wildcards("a?"));
	ck_assert(!has_wildcards("/etc/tend.ini"));
	ck_assert(!has_wildcards("a\\*b"));
}
END_TEST

static void touch(const char *directory, const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", directory, name);
	FILE *file = fopen(path, "w");
	ck_assert_ptr_nonnull(file);
	fclose(file);
}

START_TEST(expansion_is_sorted_and_spans_directories)
{
	char root[] = "/tmp/tend-pathmatch-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(root));
	char sub[600];
	snprintf(sub, sizeof sub, "%s/b.d", root);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	touch(root, "20-b.ini");
	touch(root, "10-a.ini");
	touch(root, "notes.txt");
	touch(root, ".hidden.ini");
	touch(sub, "x.ini");
	char pattern[600];
	char **matches;
	size_t count;
	snprintf(pattern, sizeof pattern, "%s/*.ini", root);
	ck_assert_int_eq(path_expand(pattern, &matches, &count), 0);
	ck_assert_uint_eq(count, 2);
	ck_assert(strstr(matches[0], "/10-a.ini") != NULL);
	ck_assert(strstr(matches[1], "/20-b.ini") != NULL);
	ck_assert_ptr_null(matches[2]);
	string_vector_free(matches);
	snprintf(pattern, sizeof pattern, "%s/*.d/*.ini", root);
	ck_assert_int_eq(path_expand(pattern, &matches, &count), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert(strstr(matches[0], "/b.d/x.ini") != NULL);
	string_vector_free(matches);
	snprintf(pattern, sizeof pattern, "%s/*.conf", root);
	ck_assert_int_eq(path_expand(pattern, &matches, &count), 0);
	ck_assert_uint_eq(count, 0); /* matching nothing is not an error */
	ck_assert_ptr_null(matches[0]);
	string_vector_free(matches);
	char command[700];
	snprintf(command, sizeof command, "rm -rf '%s'", root);
	ck_assert_int_eq(system(command), 0);
}
END_TEST

Suite *pathmatch_suite(void)
{
	Suite *suite = suite_create("pathmatch");
	TCase *match = tcase_create("match");
	tcase_add_test(match, star_question_and_brackets_match_like_the_shell);
	tcase_add_test(match, hidden_files_need_a_literal_dot);
	tcase_add_test(match, wildcards_are_found_unless_escaped);
	tcase_add_test(match, expansion_is_sorted_and_spans_directories);
	suite_add_tcase(suite, match);
	return suite;
}
