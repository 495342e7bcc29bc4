# SPDX-License-Identifier: GPL-2.0
#
# tcpscope: out-of-tree build, install, style check, tests and demo.
#
#   make [KDIR=...] [W=1]   build ./tcpscope.ko
#   make install            modules_install + depmod
#   make style              checkpatch --strict on every source file
#   make check              build for 6.1 and 6.12, run the selftests in VMs
#   make demo               the handshake/close demo in a VM
#   make bench              benchmarks against ftrace and bpftrace, in VMs

# KDIR: the running kernel's build tree, else the newest one installed.
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(shell ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n 1))

PWD := $(shell pwd)

all: modules

modules:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || { echo "tcpscope: no kernel build tree (KDIR='$(KDIR)'): install the headers or pass KDIR=" >&2; exit 1; }
	@test "$(KDIR)" = "/lib/modules/$(shell uname -r)/build" || echo "tcpscope: building against $(KDIR)"
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

demo:
	scripts/demo

bench:
	scripts/bench/run

.PHONY: all modules install clean style check demo bench
