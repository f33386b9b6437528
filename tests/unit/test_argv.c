/* test_argv.c: command lines split like a POSIX shell splits words. */
#include <stdlib.h>
#include <string.h>

#include "../../src/argv.h"
#include "../../src/util.h"
#include "unit.h"

/* Split text and compare with the expected words (NULL-terminated). */
static void assert_split(const char *text, int instance, const char *const *expected)
{
	const char *error = NULL;
	char **words = argv_split(text, instance, &error);
	ck_assert_msg(words != NULL, "'%s' failed: %s", text, error ? error : "?");
	size_t i = 0;
	for (; expected[i] != NULL; i++) {
		ck_assert_msg(words[i] != NULL, "'%s': word %zu missing", text, i);
		ck_assert_str_eq(words[i], expected[i]);
	}
	ck_assert_msg(words[i] == NULL, "'%s': extra word '%s'", text, words[i]);
	string_vector_free(words);
}

static void assert_split_fails(const char *text, const char *reason)
{
	const char *error = NULL;
	char **words = argv_split(text, 0, &error);
	ck_assert_msg(words == NULL, "'%s' should fail", text);
	ck_assert_str_eq(error, reason);
}

START_TEST(test_plain_words)
{
	assert_split("/usr/bin/nginx -g 'daemon off;'", 0,
		     (const char *[]){"/usr/bin/nginx", "-g", "daemon off;", NULL});
	assert_split("  a \t b  ", 0, (const char *[]){"a", "b", NULL});
}
END_TEST

START_TEST(test_single_quotes_are_literal)
{
	assert_split("echo 'a \"b\" \\n $HOME'", 0,
		     (const char *[]){"echo", "a \"b\" \\n $HOME", NULL});
	assert_split("x'y z'w", 0, (const char *[]){"xy zw", NULL});
}
END_TEST

START_TEST(test_double_quotes_escape_only_posix_characters)
{
	assert_split("echo \"a \\\"q\\\" \\\\ \\$x \\` \\n\"", 0,
		     (const char *[]){"echo", "a \"q\" \\ $x ` \\n", NULL});
}
END_TEST

START_TEST(test_backslash_outside_quotes)
{
	assert_split("a\\ b c\\'d \\\\", 0, (const char *[]){"a b", "c'd", "\\", NULL});
	assert_split("a \\\n b", 0, (const char *[]){"a", "b", NULL});
}
END_TEST

START_TEST(test_empty_quoted_words_are_kept)
{
	assert_split("prog '' \"\" x", 0, (const char *[]){"prog", "", "", "x", NULL});
}
END_TEST

START_TEST(test_no_expansion)
{
	assert_split("echo $HOME ~ * ; | &&", 0,
		     (const char *[]){"echo", "$HOME", "~", "*", ";", "|", "&&", NULL});
}
END_TEST

START_TEST(test_instance_number)
{
	assert_split("worker --id=%i '%i' \"n%i\" 100%%", 7,
		     (const char *[]){"worker", "--id=7", "7", "n7", "100%", NULL});
	assert_split("w %i", 0, (const char *[]){"w", "0", NULL});
	assert_split("w \\%i", 3, (const char *[]){"w", "%i", NULL});
	/* any other % is kept as written (SPEC §2.3) */
	assert_split("date +%s", 1, (const char *[]){"date", "+%s", NULL});
	assert_split("printf '%s %d' 100% %", 2,
		     (const char *[]){"printf", "%s %d", "100%", "%", NULL});
	assert_split("x %%s %%i %i%s", 4, (const char *[]){"x", "%s", "%i", "4%s", NULL});
}
END_TEST

START_TEST(test_errors)
{
	assert_split_fails("echo 'open", "unterminated single quote");
	assert_split_fails("echo \"open", "unterminated double quote");
	assert_split_fails("echo \"open\\", "unterminated double quote");
	assert_split_fails("echo trailing\\", "trailing backslash");
	assert_split_fails("\"\"", "empty program name (the first word is \"\")");
	assert_split_fails("'' x", "empty program name (the first word is \"\")");
	assert_split_fails("", "empty command");
	assert_split_fails("   \t ", "empty command");
}
END_TEST

Suite *argv_suite(void)
{
	Suite *suite = suite_create("argv");
	TCase *tcase = tcase_create("split");
	tcase_add_test(tcase, test_plain_words);
	tcase_add_test(tcase, test_single_quotes_are_literal);
	tcase_add_test(tcase, test_double_quotes_escape_only_posix_characters);
	tcase_add_test(tcase, test_backslash_outside_quotes);
	tcase_add_test(tcase, test_empty_quoted_words_are_kept);
	tcase_add_test(tcase, test_no_expansion);
	tcase_add_test(tcase, test_instance_number);
	tcase_add_test(tcase, test_errors);
	suite_add_tcase(suite, tcase);
	return suite;
}
