# SPDX-License-Identifier: GPL-2.0
#
# tcpscope: out-of-tree build, install, style check, tests and demo.
#
#   make [KDIR=...] [W=1]   build ./tcpscope.ko
#   make install            modules_install + depmod
#   make style              checkpatch --strict on every C file, shellcheck
#                           on every shell script, and no include cycle
#                           among module/'s files
#   make check              build for 6.1 and 6.12, run the selftests in VMs
#   make stress             the randomized tests with 10 times the cases
#   make demo               the handshake/close demo in a VM
#   make bench              benchmarks against ftrace and bpftrace, in VMs

# KDIR: the running kernel's build tree; KDIR=... builds for another one.
RUNNING := $(shell uname -r)
KDIR ?= /lib/modules/$(RUNNING)/build

PWD := $(shell pwd)

all: modules

modules:
	@test -d "$(KDIR)" || { \
		if [ "$(origin KDIR)" = file ]; then \
			echo "tcpscope: no headers for the running kernel $(RUNNING):" \
				"install linux-headers-$(RUNNING), or pass KDIR=/path/to/build" \
				"to build for another kernel" >&2; \
		else \
			echo "tcpscope: KDIR=$(KDIR) is not a kernel build tree" >&2; \
		fi; exit 1; }
	@test "$(KDIR)" = "/lib/modules/$(RUNNING)/build" || echo "tcpscope: building against $(KDIR)"
	$(MAKE) -C $(KDIR) M=$(PWD) modules

KRELEASE = $(notdir $(patsubst %/build,%,$(KDIR)))

install: modules
	$(MAKE) -C $(KDIR) M=$(PWD) modules_install
	depmod -a $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KRELEASE)

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean 2>/dev/null || true
	rm -rf .build

style:
	scripts/style

check:
	scripts/check

# The randomized tests (differential life cycles, malformed segments) with
# ten times make check's cases, on 6.1 and 6.12; each variable may be set.
stress:
	TCPSCOPE_KERNELS="$${TCPSCOPE_KERNELS:-6.1 6.12}" \
	TCPSCOPE_TESTS="$${TCPSCOPE_TESTS:-differential fuzz_packets}" \
	TCPSCOPE_DIFF_CYCLES="$${TCPSCOPE_DIFF_CYCLES:-6000}" \
	TCPSCOPE_FUZZ_COUNT="$${TCPSCOPE_FUZZ_COUNT:-20000}" \
	TCPSCOPE_TEST_TIMEOUT="$${TCPSCOPE_TEST_TIMEOUT:-2400}" \
	scripts/check

demo:
	scripts/demo

bench:
	scripts/bench/run

.PHONY: all modules install clean style check stress demo bench
