# SPDX-License-Identifier: Apache-2.0
# vhost-user front end (and the devices built on it): the protocol client,
# a fake back end for the unit tests, its unit test and its fuzz target.
devices_libdevices_a_SOURCES += devices/virtio/vhost-user.c \
	devices/virtio/vhost-user.h devices/virtio/fs.c devices/virtio/fs.h

noinst_LIBRARIES += tests/unit/libfakevhostuser.a
tests_unit_libfakevhostuser_a_CPPFLAGS = $(AM_CPPFLAGS) \
	-DG_LOG_DOMAIN=\"nimbus-test\"
tests_unit_libfakevhostuser_a_SOURCES = tests/unit/fake-vhost-user.c \
	tests/unit/fake-vhost-user.h
# The device tests' shared fixture (needs libfakevm.a and libvirtiodriver.a).
tests_unit_libfakevhostuser_a_SOURCES += \
	tests/unit/fake-vhost-user-fixture.c \
	tests/unit/fake-vhost-user-fixture.h

check_PROGRAMS += tests/unit/test-vhost-user
TESTS += tests/unit/test-vhost-user
tests_unit_test_vhost_user_LDADD = tests/unit/libfakevhostuser.a \
	$(VIRTIO_TEST_LIBS)
tests_unit_test_vhost_user_DEPENDENCIES = tests/unit/libfakevhostuser.a \
	$(VIRTIO_FAKE_VM_DEPS)

FUZZ_TARGETS += tests/fuzz/fuzz-vhost-user
tests_fuzz_fuzz_vhost_user_LDADD = $(FUZZ_MAIN_LIB) $(VIRTIO_TEST_LIBS)
tests_fuzz_fuzz_vhost_user_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/vhost-user

# virtio-fs on the front end: its unit test (the fake back end again).
check_PROGRAMS += tests/unit/test-virtio-fs
TESTS += tests/unit/test-virtio-fs
tests_unit_test_virtio_fs_LDADD = tests/unit/libfakevhostuser.a \
	$(VIRTIO_TEST_LIBS)
tests_unit_test_virtio_fs_DEPENDENCIES = tests/unit/libfakevhostuser.a \
	$(VIRTIO_FAKE_VM_DEPS)

# vhost-user-blk (--disk vhost_user=on): the queue half any vhost-user
# device shares, the device, its unit test and its fuzz target.
devices_libdevices_a_SOURCES += devices/virtio/vhost-user-dev.c \
	devices/virtio/vhost-user-dev.h devices/virtio/vhost-user-blk.c \
	devices/virtio/vhost-user-blk.h
check_PROGRAMS += tests/unit/test-vhost-user-blk
TESTS += tests/unit/test-vhost-user-blk
tests_unit_test_vhost_user_blk_LDADD = tests/unit/libfakevhostuser.a \
	$(VIRTIO_TEST_LIBS)
tests_unit_test_vhost_user_blk_DEPENDENCIES = tests/unit/libfakevhostuser.a \
	$(VIRTIO_FAKE_VM_DEPS)
FUZZ_TARGETS += tests/fuzz/fuzz-vhost-user-blk
tests_fuzz_fuzz_vhost_user_blk_LDADD = $(FUZZ_MAIN_LIB) $(VIRTIO_TEST_LIBS)
tests_fuzz_fuzz_vhost_user_blk_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/vhost-user-blk \
	tests/fuzz/make-vhost-user-blk-seeds.py

# vhost-user-net (--net vhost_user=on): the device on the shared queue
# half, its unit test and its fuzz target.
devices_libdevices_a_SOURCES += devices/virtio/vhost-user-net.c \
	devices/virtio/vhost-user-net.h
check_PROGRAMS += tests/unit/test-vhost-user-net
TESTS += tests/unit/test-vhost-user-net
tests_unit_test_vhost_user_net_LDADD = tests/unit/libfakevhostuser.a \
	$(VIRTIO_TEST_LIBS)
tests_unit_test_vhost_user_net_DEPENDENCIES = tests/unit/libfakevhostuser.a \
	$(VIRTIO_FAKE_VM_DEPS)

# --generic-vhost-user: the device type, its unit test and the fuzz
# target of both (a back end's replies behind a generic device or a net).
devices_libdevices_a_SOURCES += devices/virtio/vhost-user-generic.c \
	devices/virtio/vhost-user-generic.h
check_PROGRAMS += tests/unit/test-vhost-user-generic
TESTS += tests/unit/test-vhost-user-generic
tests_unit_test_vhost_user_generic_LDADD = tests/unit/libfakevhostuser.a \
	$(VIRTIO_TEST_LIBS)
tests_unit_test_vhost_user_generic_DEPENDENCIES = \
	tests/unit/libfakevhostuser.a $(VIRTIO_FAKE_VM_DEPS)
FUZZ_TARGETS += tests/fuzz/fuzz-vhost-user-generic
tests_fuzz_fuzz_vhost_user_generic_LDADD = $(FUZZ_MAIN_LIB) \
	$(VIRTIO_TEST_LIBS)
tests_fuzz_fuzz_vhost_user_generic_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/vhost-user-generic \
	tests/fuzz/make-vhost-user-generic-seeds.py
