/* SPDX-License-Identifier: Apache-2.0 */
/* Test-only exports of the format layer: registering an extra format. */
#pragma once

#include "devices/block/format.h"

/* The most formats block_format_register() takes. */
#define BLOCK_FORMAT_MAX_EXTRA 4

/**
 * block_format_register:
 * Adds @ops (static, not copied) to the formats block_format_open()
 * knows, ahead of the built-in ones.  For unit tests, which show that a
 * format plugs in without changes elsewhere: call from the main thread
 * before opening images.  Returns false when the table is full.
 */
bool block_format_register(const BlockFormatOps *ops);
