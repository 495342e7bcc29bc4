#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# raw_resets.sh: resets.sh through the raw stream: events_raw read by
# tools/tcpscope-raw, which must print the reset lines exactly as the
# events file does.

TCPSCOPE_READER=raw exec "$(dirname "$0")/resets.sh"
