# SPDX-License-Identifier: Apache-2.0
# daemon/: the per-thread-role seccomp filters (libseccomp).
daemon_libvmm_a_SOURCES += \
	daemon/seccomp.c daemon/seccomp.h daemon/seccomp-priv.h \
	daemon/seccomp-rules.c

# Landlock (--landlock): the file-system half of the confinement.
daemon_libvmm_a_SOURCES += daemon/landlock.c daemon/landlock.h
