# SPDX-License-Identifier: Apache-2.0
# common/: code shared by nimbus, nimbus-remote and nimbusd (HTTP client over
# a UNIX socket, small utilities).  Linked as common/libcommon.a.
noinst_LIBRARIES += common/libcommon.a
common_libcommon_a_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"nimbus-common\"
common_libcommon_a_SOURCES = \
	common/build-tree.c common/build-tree.h \
	common/error-util.c common/error-util.h \
	common/fd-util.c common/fd-util.h \
	common/http-client.c common/http-client.h \
	common/json-util.c common/json-util.h \
	common/thread-role.c common/thread-role.h
