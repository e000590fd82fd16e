# SPDX-License-Identifier: Apache-2.0
dist_doc_DATA += docs/architecture.md docs/testing.md docs/hotplug.md \
	docs/seccomp.md docs/vcpu-hotplug.md docs/rate-limiter.md
dist_doc_DATA += docs/migration.md
dist_doc_DATA += docs/tpm.md
dist_doc_DATA += docs/numa.md
dist_doc_DATA += docs/security.md
