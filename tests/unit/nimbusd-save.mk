# SPDX-License-Identifier: Apache-2.0
# nimbusd's save images, save/restore and managed save (issue 12).

# The save-image file format: round trip, refusals, rewrite, atomicity.
check_PROGRAMS += tests/unit/test-save-image
TESTS += tests/unit/test-save-image
tests_unit_test_save_image_CPPFLAGS = $(RPC_TEST_CPPFLAGS)
tests_unit_test_save_image_LDADD = $(RPC_TEST_LIBS)

# Stock virsh and python3-libvirt: save, restore, save-image-*, managedsave
# (the fake VMM writes and reads real snapshot directories).
dist_check_SCRIPTS += tests/unit/test-nimbusd-save.py
TESTS += tests/unit/test-nimbusd-save.py

# Save images as `virsh restore` reads them; seeds: a valid image and
# broken variants (tests/fuzz/make-save-image-seeds.py writes them).
FUZZ_TARGETS += tests/fuzz/fuzz-save-image
tests_fuzz_fuzz_save_image_CPPFLAGS = $(RPC_TEST_CPPFLAGS)
tests_fuzz_fuzz_save_image_LDADD = $(FUZZ_MAIN_LIB) $(NIMBUSD_LIBS)
tests_fuzz_fuzz_save_image_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/save-image tests/fuzz/make-save-image-seeds.py

