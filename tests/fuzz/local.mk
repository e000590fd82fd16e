# SPDX-License-Identifier: Apache-2.0
# fuzz targets: FUZZ_TARGETS += tests/fuzz/fuzz-foo
