#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# raw_lost_events.sh: lost_events.sh again, reading events_raw through
# tools/tcpscope-raw: the binary stream, rendered in user space, must
# pass the same checks against the same ground truth as the text stream.

TCPSCOPE_READER=raw exec "$(dirname "$0")/lost_events.sh"
