/* SPDX-License-Identifier: Apache-2.0 */
/* Golden-file helpers for the xml2xml and xml2cfg tests (VMM_TEST_REGENERATE). */
#pragma once

#include <glib.h>

/* Points NIMBUS_SCHEMA_DIR at the source tree's xml-schemas/ unless set. */
void golden_init_schema_dir(void);

/* Sorted names of the files in $top_srcdir/@rel_dir ending in @suffix
 * (transfer full). */
GPtrArray *golden_list(const char *rel_dir, const char *suffix);

/**
 * golden_check:
 * Compares @actual with the file @expected_path and fails the test case
 * at the first differing line.  With VMM_TEST_REGENERATE=1 in the
 * environment it rewrites @expected_path instead: as a symlink to
 * @input_link (a path relative to the expected file's directory) when
 * @actual equals @input_content, else as a plain file.
 */
void golden_check(const char *expected_path, const char *actual,
                  const char *input_link, const char *input_content);
