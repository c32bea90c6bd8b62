# sockaudit — top-level build. `make help` lists the targets.

BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
WERROR   ?= 1
CC       ?= cc
PKG_CONFIG ?= pkg-config

ifeq ($(V),1)
Q :=
else
Q := @
endif

# eBPF fd walk (lib/bpfscan.c, lib/bpf/): built when clang and libbpf are
# there; BPF=0 never builds it. Without it every scan reads /proc.
BPF ?= $(if $(and $(shell command -v clang),$(shell $(PKG_CONFIG) --exists libbpf && echo y)),1,0)
BPF_PKGS = $(if $(filter 1,$(BPF)),libbpf)
MULTIARCH = $(or $(shell gcc -print-multiarch 2>/dev/null),$(shell $(CC) -dumpmachine))

# Evaluated lazily: `make check` installs packages before the sub-make needs them.
# libcrypto: EVP MD5 and SHA-256 of running executables (lib/exeimage.c)
# and of certificate files (lib/tlscertfile.c); libssl: the TLS probe's
# handshakes (lib/tlshandshake.c). The static CLI links neither: its
# hashing runs in the sockaudit-provenance helper, its handshakes in
# sockaudit-tlsprobe (docs/ARCHITECTURE.md#helper-programs).
# libnftnl, libmnl: nftables rulesets read over netlink (lib/nftread.c).
# libnl-route-3.0: a namespace's interfaces (lib/netifs.c).
PKGS        = libnl-3.0 libnl-route-3.0 libsystemd jansson inih libcap libssl libcrypto libnftnl libmnl $(BPF_PKGS)
PKG_CFLAGS  = $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS    = $(shell $(PKG_CONFIG) --libs $(PKGS))
# The CLI is a static PIE: a warm `who` is mostly process start-up, and
# the dynamic loader was ~0.3 ms of it (docs/PERFORMANCE.md). A static
# glibc cannot load NSS modules: the CLI's user names come from getent(1)
# (lib/usercache.c, whose getpwuid_r is a weak reference a static link
# leaves out), and cli/static-nss.c stands in for the NSS calls libnl-3.a
# references but we never make, so ld has nothing to warn about. STATIC_CLI=0 links it like
# the daemon; sanitizer builds always do.
STATIC_CLI ?= 1
CLI_STATIC = -static-pie -lnl-3 -ljansson $(if $(filter 1,$(BPF)),-lbpf -lelf -lz) -lpthread -lm
CLI_IS_STATIC = $(and $(filter 1,$(STATIC_CLI)),$(if $(strip $(SAN)),,y))
CLI_LIBS = $(if $(CLI_IS_STATIC),$(CLI_STATIC),$(PKG_LIBS))
CLI_STATIC_OBJ = $(if $(CLI_IS_STATIC),$(BUILD)/cli/static-nss.o)
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check)
CHECK_LIBS   = $(shell $(PKG_CONFIG) --libs check)
systemd_var = $(or $(shell $(PKG_CONFIG) --variable=$(1) systemd 2>/dev/null),$(2))
SYSTEMD_UNITDIR = $(call systemd_var,systemdsystemunitdir,/lib/systemd/system)
CATALOGDIR      = $(call systemd_var,catalogdir,/usr/lib/systemd/catalog)
SYSUSERSDIR     = $(call systemd_var,sysusersdir,/usr/lib/sysusers.d)

WARN   := -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes -Wvla \
          -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN   += -Werror
endif
HARDEN := -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
OPT    ?= -O2 -g
SAN    ?=
CFLAGS_ALL  = -std=gnu11 -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN) $(SAN) -MMD -MP $(INC) $(PKG_CFLAGS) \
              $(if $(filter 1,$(BPF)),-DSA_HAVE_BPF) $(CFLAGS)
# lib/include/ holds what the daemon and the CLI may use of lib: the public
# sockaudit.h, sockaudit-internal.h and util.h. lib/ itself and the tests
# see lib's private headers too.
INC         = -Ilib -Ilib/include
$(BUILD)/daemon/%.o $(BUILD)/cli/%.o: INC = -Ilib/include
LDFLAGS_ALL = -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(SAN) $(LDFLAGS)

LIB_SRC    := $(sort $(wildcard lib/*.c))
DAEMON_SRC := $(sort $(filter-out daemon/main.c,$(wildcard daemon/*.c)))
CLI_SRC    := $(sort $(filter-out cli/main.c cli/static-nss.c,$(wildcard cli/*.c)))
UNIT_SRC   := $(sort $(wildcard tests/unit/check_*.c))
HELPER_SRC := $(sort $(wildcard tests/helpers/*.c))

LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/%.o)
ifeq ($(BPF),1)
LIB_OBJ    += $(patsubst lib/bpf/%.bpf.c,$(BUILD)/lib/bpf/%_obj.o,$(wildcard lib/bpf/*.bpf.c))
endif
# The compiled eBPF programs stay (make would delete them as intermediates, saying so).
.SECONDARY: $(patsubst lib/bpf/%.bpf.c,$(BUILD)/lib/bpf/%.bpf.o,$(wildcard lib/bpf/*.bpf.c))
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ    := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_OBJ   := $(UNIT_SRC:%.c=$(BUILD)/%.o) $(BUILD)/tests/unit/runner.o
HELPERS    := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/helpers/%)

LIBSA    := $(BUILD)/libsockaudit.a
LIBD     := $(BUILD)/libsockauditd.a
LIBCLI   := $(BUILD)/libsockaudit-cli.a
DAEMON   := $(BUILD)/sockauditd
CLI      := $(BUILD)/sockaudit
# The TLS probe's helper, exec'd by the probe's child (docs/SECURITY.md#the-tls-probe).
TLSPROBE := $(BUILD)/sockaudit-tlsprobe
# The CLI's provenance and certificate fingerprints (docs/PROVENANCE.md#the-clis-helper).
PROVHELPER := $(BUILD)/sockaudit-provenance
# explain --direct's reachability (cli/reach.c execs it: libmnl has no static library).
REACH    := $(BUILD)/sockaudit-reach
UNIT     := $(BUILD)/tests/unit-tests
# Man pages: scdoc sources in man/ (NAME.SECTION.scd), roff in $(BUILD)/man/.
MAN_PAGES := $(patsubst man/%.scd,$(BUILD)/man/%,$(sort $(wildcard man/*.scd)))
MANDIR   ?= $(PREFIX)/share/man
# Bash completion: where bash-completion looks, else under PREFIX.
BASHCOMPDIR ?= $(or $(shell $(PKG_CONFIG) --variable=completionsdir bash-completion 2>/dev/null),$(PREFIX)/share/bash-completion/completions)
# zsh completion: where Debian's zsh looks ($fpath): /usr/share/zsh/vendor-completions
# for packages (PREFIX=/usr), /usr/local/share/zsh/site-functions for local installs.
ZSHCOMPDIR  ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/share/zsh/vendor-completions,$(PREFIX)/share/zsh/site-functions)

.PHONY: all tests deps check check-unit check-integration run asan valgrind \
        install uninstall deb lint-deb clean help
.DEFAULT_GOAL := all

all: $(LIBSA) $(DAEMON) $(CLI) $(TLSPROBE) $(PROVHELPER) $(REACH) $(MAN_PAGES)

tests: all $(UNIT) $(HELPERS)

# Plain `make` on a fresh machine stops here, saying what to run (an
# order-only check: one pkg-config call, it never rebuilds anything).
.PHONY: have-build-deps
have-build-deps:
	@command -v $(PKG_CONFIG) >/dev/null && $(PKG_CONFIG) --exists $(PKGS) 2>/dev/null || \
	    { echo "make: build dependencies missing ($(strip $(PKGS))): run 'make deps' (as root) first" >&2; exit 1; }

$(BUILD)/%.o: %.c | have-build-deps
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -c -o $@ $<

# eBPF programs (lib/bpf/NAME.bpf.c, records in NAME.h), compiled by clang
# and linked into libsockaudit as bytes: sa_NAME_obj[] .. sa_NAME_obj_end.
$(BUILD)/lib/bpf/%.bpf.o: lib/bpf/%.bpf.c lib/bpf/%.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  BPF     $<")
	$(Q)clang -target bpf -O2 -g -Wall -Werror -I/usr/include/$(MULTIARCH) -Ilib/bpf -c -o $@ $<

$(BUILD)/lib/bpf/%_obj.o: lib/bpf/embed.S $(BUILD)/lib/bpf/%.bpf.o
	$(Q)$(CC) -c -DSA_BPF_NAME=sa_$*_obj -DSA_BPF_FILE='"$(BUILD)/lib/bpf/$*.bpf.o"' -o $@ $<

$(BUILD)/man/%: man/%.scd
	@mkdir -p $(@D)
	@$(if $(Q),echo "  SCDOC   $<")
	@command -v scdoc >/dev/null || { echo "make: scdoc (the man pages' tool) missing: run 'make deps' (as root)" >&2; exit 1; }
	@# No hyphenation, ragged right: names like SOCKAUDIT_LOG_LEVEL stay whole.
	$(Q)scdoc < $< > $@.tmp && sed -i '/^\.TH /a .nh\n.ad l' $@.tmp && mv $@.tmp $@

$(LIBSA): $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(LIBD): $(DAEMON_OBJ)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(LIBCLI): $(CLI_OBJ)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(DAEMON): $(BUILD)/daemon/main.o $(LIBD) $(LIBSA)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(CLI): $(BUILD)/cli/main.o $(CLI_STATIC_OBJ) $(LIBCLI) $(LIBSA)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(CLI_LIBS)

$(TLSPROBE) $(PROVHELPER) $(REACH): $(BUILD)/%: $(BUILD)/libexec/%.o $(LIBSA)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

# One Check runner; suites are collected from `Suite *NAME_suite(void)` lines.
$(BUILD)/tests/suites.h: $(UNIT_SRC)
	@mkdir -p $(@D)
	$(Q)sed -n 's/^Suite \*\([a-z0-9_]*\)_suite(void).*/SUITE(\1)/p' $(UNIT_SRC) > $@.tmp && mv $@.tmp $@

$(BUILD)/tests/unit/runner.o: tests/unit/runner.c $(BUILD)/tests/suites.h
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_ALL) $(CHECK_CFLAGS) -I$(BUILD)/tests -c -o $@ $<

# Each suite is declared by a generated header, so -Wmissing-prototypes holds.
$(BUILD)/tests/suites-decl.h: $(BUILD)/tests/suites.h
	$(Q)printf '#include <check.h>\n#define SUITE(n) Suite *n##_suite(void);\n#include "suites.h"\n#undef SUITE\n' > $@

$(BUILD)/tests/unit/check_%.o: tests/unit/check_%.c $(BUILD)/tests/suites-decl.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) $(CHECK_CFLAGS) -Idaemon -Icli -I$(BUILD)/tests \
	    -include $(BUILD)/tests/suites-decl.h -c -o $@ $<

$(UNIT): $(UNIT_OBJ) $(LIBD) $(LIBCLI) $(LIBSA)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS)

# Test tools are not what is under test: no sanitizer (LeakSanitizer's exit
# tracer is a clone sharing the fd table, i.e. a real extra socket holder).
$(BUILD)/tests/helpers/%: override SAN =
$(BUILD)/tests/helpers/%: tests/helpers/%.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $<

# sa-webconf and sa-nfteval drive library code under test (lib/webconf*.c,
# lib/nft*.c): linked with the library and built with its sanitizers.
LIB_SAN := $(SAN)
LIB_HELPERS := $(BUILD)/tests/helpers/sa-webconf $(BUILD)/tests/helpers/sa-nfteval
$(LIB_HELPERS): override SAN = $(LIB_SAN)
$(LIB_HELPERS): $(BUILD)/tests/helpers/%: tests/helpers/%.c $(LIBSA)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIBSA) $(PKG_LIBS)

# Installs missing Debian packages (quick when all are present).
deps:
	$(Q)scripts/install-deps.sh

# Every test: unit suites, then integration against the real daemon.
check: deps
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)BUILD=$(BUILD) tests/run-all.sh

check-unit: tests
	$(Q)BUILD=$(BUILD) tests/run-all.sh --unit

check-integration: tests
	$(Q)BUILD=$(BUILD) tests/integration/run.sh

# The main job: start sockauditd on a private socket and ask it who owns 443.
run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) scripts/run-demo.sh

# How much slower than a plain build each checking stage runs: every wait
# and time limit of its tests is multiplied by this, and by the machine's
# load (SA_IT_STAGE_SLOW, tests/waits.sh).
ASAN_SLOW ?= 2
VG_SLOW   ?= 5

ASAN_BUILD ?= build-asan
# Left out under ASan: the two largest kernel-oracle matrices (~150 s of the
# stage; their point is the verdicts, which `make check` compares): the
# evaluator they run is run under ASan by the other nft_*/explain_reach_*
# tests and by the nftdecode fuzz target; and the completions' match with
# the parser (~27 s: hundreds of `--help` runs; the parser runs under ASan
# in test_cli_options.sh).
ASAN_EXCLUDE ?= explain_reach_verdicts|nft_verdicts_(native|chains)|man_(completion_options|zsh_completion)
asan: deps
	$(Q)$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) OPT="-O1 -g" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" tests
	$(Q)BUILD=$(ASAN_BUILD) SA_IT_STAGE_SLOW=$(ASAN_SLOW) SA_IT_EXCLUDE='$(ASAN_EXCLUDE)' \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 tests/run-all.sh

# libsockaudit is not installed: an internal static library, linked into
# both programs, with no stable API or ABI (docs/ARCHITECTURE.md#the-boundary).
install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(DAEMON) $(DESTDIR)$(PREFIX)/sbin/sockauditd
	install -m 0755 $(CLI) $(DESTDIR)$(PREFIX)/bin/sockaudit
	install -d $(DESTDIR)$(PREFIX)/libexec/sockaudit
	install -m 0755 $(TLSPROBE) $(PROVHELPER) $(REACH) $(DESTDIR)$(PREFIX)/libexec/sockaudit/
	for p in $(MAN_PAGES); do install -D -m 0644 $$p $(DESTDIR)$(MANDIR)/man$${p##*.}/$${p##*/} || exit; done
	install -D -m 0644 completion/sockaudit.bash $(DESTDIR)$(BASHCOMPDIR)/sockaudit
	ln -sf sockaudit $(DESTDIR)$(BASHCOMPDIR)/sockauditd
	install -D -m 0644 completion/_sockaudit $(DESTDIR)$(ZSHCOMPDIR)/_sockaudit
	install -D -m 0644 -t $(DESTDIR)$(PREFIX)/share/sockaudit/prometheus \
	    contrib/prometheus/sockaudit.rules.yml contrib/prometheus/sockaudit.rules.test.yml
	install -d $(DESTDIR)$(CATALOGDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 0644 systemd/sockaudit.sysusers $(DESTDIR)$(SYSUSERSDIR)/sockaudit.conf
	install -m 0644 systemd/sockaudit.catalog $(DESTDIR)$(CATALOGDIR)/sockaudit.catalog
	install -d $(DESTDIR)$(SYSTEMD_UNITDIR)
	sed 's|/usr/sbin/sockauditd|$(PREFIX)/sbin/sockauditd|' systemd/sockauditd.service \
	    > $(DESTDIR)$(SYSTEMD_UNITDIR)/sockauditd.service
	install -m 0644 systemd/sockauditd.socket $(DESTDIR)$(SYSTEMD_UNITDIR)/sockauditd.socket
	@# The daemon reads /etc/sockaudit/sockauditd.conf whatever PREFIX is; an
	@# existing file is the admin's and stays as it is.
	install -d -m 0755 $(DESTDIR)/etc/sockaudit
	test -e $(DESTDIR)/etc/sockaudit/sockauditd.conf || \
	    install -m 0644 conf/sockauditd.conf $(DESTDIR)/etc/sockaudit/sockauditd.conf

# Leaves /etc/sockaudit, /var/lib/sockaudit and the group: README.md#uninstall.
# libsockaudit.a and sockaudit.h: what earlier installs put there (no longer installed).
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/sockauditd $(DESTDIR)$(PREFIX)/bin/sockaudit \
	    $(DESTDIR)$(PREFIX)/libexec/sockaudit/sockaudit-tlsprobe \
	    $(DESTDIR)$(PREFIX)/libexec/sockaudit/sockaudit-provenance \
	    $(DESTDIR)$(PREFIX)/libexec/sockaudit/sockaudit-reach \
	    $(DESTDIR)$(PREFIX)/lib/libsockaudit.a $(DESTDIR)$(PREFIX)/include/sockaudit.h \
	    $(DESTDIR)$(SYSTEMD_UNITDIR)/sockauditd.service $(DESTDIR)$(SYSTEMD_UNITDIR)/sockauditd.socket \
	    $(DESTDIR)$(CATALOGDIR)/sockaudit.catalog $(DESTDIR)$(SYSUSERSDIR)/sockaudit.conf
	rm -f $(foreach p,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(p)))/$(notdir $(p))) \
	    $(DESTDIR)$(BASHCOMPDIR)/sockaudit $(DESTDIR)$(BASHCOMPDIR)/sockauditd \
	    $(DESTDIR)$(ZSHCOMPDIR)/_sockaudit \
	    $(DESTDIR)$(PREFIX)/share/sockaudit/prometheus/sockaudit.rules.yml \
	    $(DESTDIR)$(PREFIX)/share/sockaudit/prometheus/sockaudit.rules.test.yml

# The Debian package (debian/): built by dpkg-buildpackage in a copy of the
# tree under $(BUILD)/deb/, where the .deb and .changes land (the tree
# stays clean; nothing is rebuilt when the .deb is newer than every
# source). lint-deb: lintian on them, failing on errors (README.md#the-debian-package).
deb:
	$(Q)scripts/build-deb.sh $(BUILD)/deb

lint-deb: deb
	$(Q)lintian --pedantic --fail-on error $(BUILD)/deb/sockaudit_*.changes

clean:
	rm -rf build build-asan build-*

help:
	@echo "Targets:"
	@echo "  make [all]              build lib, daemon and CLI into $(BUILD)/"
	@echo "  make tests              also the unit-test runner and test helpers"
	@echo "  make deps               install the missing Debian packages (scripts/install-deps.sh)"
	@echo "  make run                deps, build, start the daemon on a private socket, ask who owns 443"
	@echo "  make check              deps, build, every test: unit suites, then integration"
	@echo "  make check-unit         the Check unit suites only"
	@echo "  make check-integration  the integration tests only (real daemon, network namespaces; root)"
	@echo "  make check-systemd      install and boot the units under systemd-nspawn (root)"
	@echo "  make asan               every test under ASan+UBSan, in build-asan/"
	@echo "  make valgrind           unit tests, then integration daemons, under valgrind (build-valgrind/)"
	@echo "  make fuzz               libFuzzer targets, FUZZ_SECONDS each (clang; build-fuzz/)"
	@echo "  make check-sanitizers   asan, then a short fuzz: what CI runs"
	@echo "  make bench              sockaudit against ss and lsof on a loaded namespace (root)"
	@echo "  make bench-provenance   what the owners' package verdicts cost a list (root, nginx)"
	@echo "  make install            binaries, helpers, man pages, bash and zsh completion, units, catalog, sysusers,"
	@echo "                          alert rules (PREFIX/share/sockaudit/prometheus),"
	@echo "                          /etc/sockaudit/sockauditd.conf (an example, only when missing)"
	@echo "  make deb                the Debian package, into $(BUILD)/deb/ (dpkg-buildpackage in a copy of the tree)"
	@echo "  make lint-deb           deb, then lintian on it (fails on errors; warnings in debian/README.source)"
	@echo "  make uninstall          remove the files install put there, but not /etc/sockaudit,"
	@echo "                          /var/lib/sockaudit or the group; disable the units before it,"
	@echo "                          journalctl --update-catalog after it (README.md#uninstall)"
	@echo "  make clean              remove build/ and every build-*/"
	@echo "  make help               this list"
	@echo "Variables (make VAR=value ...; now):"
	@echo "  BUILD         build directory ($(BUILD))"
	@echo "  PREFIX        install prefix ($(PREFIX))"
	@echo "  DESTDIR       staging root for install and uninstall ($(or $(DESTDIR),none))"
	@echo "  WERROR        1: warnings are errors, 0 for packagers ($(WERROR))"
	@echo "  V             1: print every command ($(or $(V),0))"
	@echo "  BPF           1: build the eBPF parts, default when clang and libbpf are there ($(BPF))"
	@echo "  STATIC_CLI    1: the CLI is a static PIE, 0: linked dynamically ($(STATIC_CLI))"
	@echo "  BENCH_SIZES   bench: PROCSxFDS per round ($(BENCH_SIZES))"
	@echo "  FUZZ_SECONDS  fuzz: seconds per target, 0: replay the corpus only ($(FUZZ_SECONDS))"
	@echo "  VG_PATTERN    valgrind: regex of the integration tests to run ($(or $(VG_PATTERN),all))"
	@echo "  VG_EXCLUDE    valgrind: regex of the integration tests left out (floods, churns, tests without a daemon)"

# Not under $(BUILD)/deb: make deb's copy of the tree has its own build/.
-include $(shell find $(BUILD) -path $(BUILD)/deb -prune -o -name '*.d' -type f -print 2>/dev/null)

# ---- hostile input, sanitizers, leaks (tests/fuzz, docs/SECURITY.md) -------
# `make fuzz`: libFuzzer targets (clang, ASan+UBSan) in their own build dir,
# each run FUZZ_SECONDS (0: only replay the seed corpus) on a copy of
# tests/fuzz/corpus/NAME; fails on any crash, sanitizer report or leak.
# FUZZ_TARGETS=request picks some. Crashes land in $(FUZZ_BUILD)/artifacts/.
# Warnings are not errors there: clang warns where gcc (the real build) does not.
FUZZ_BUILD   ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 20
FUZZ_ALL     := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer

.PHONY: fuzz fuzz-build valgrind check-sanitizers
fuzz: deps
	$(Q)$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) OPT="-O1 -g" WERROR=0 \
	    SAN="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" fuzz-build
	$(Q)FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZ_TARGETS)

fuzz-build: $(FUZZ_ALL:%=$(BUILD)/fuzz/fuzz_%)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(LIBD) $(LIBCLI) $(LIBSA)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(CC) $(CFLAGS_ALL) -Idaemon -Icli -fsanitize=fuzzer -o $@ $< $(LIBD) $(LIBCLI) $(LIBSA) \
	    $(LDFLAGS_ALL) $(PKG_LIBS)

# `make valgrind`: a plain -O1 build in $(VG_BUILD); the unit suites under
# valgrind (tests/valgrind-units.sh: a process per suite, CK_FORK=no so
# leaks of every test are seen, one per CPU at once), then
# the integration suite with each daemon run under valgrind (the harness
# honours SA_IT_DAEMON_WRAPPER; a daemon with a valgrind error or leak
# fails its test). Those daemons use /proc, not eBPF: libbpf parsing the
# kernel's BTF under valgrind takes seconds per start (the eBPF fd walk is
# checked under valgrind by the unit suite). VG_PATTERN limits the
# integration tests (a run.sh regex); VG_EXCLUDE leaves out the floods and
# churns, whose point is volume and timing: under valgrind they only take
# minutes, their code paths are run there by the smaller tests, and ASan
# runs them in full; the tests that start no daemon (only daemons run
# under valgrind here); and the one that times the first provenance job
# against its 5 s bound (hashing under valgrind is ~50x slower): the
# stalled and slow watchers' 2,000 new listeners wait that long for their
# verdicts. The daemons SIGKILLed mid-save (valgrind reports nothing for
# them) and the docs' coverage check (its point is the text) are left out too,
# and the daemons taking a socket by pidfd_getfd() (valgrind 3.19 has no
# pidfd_open or pidfd_getfd: ENOSYS), and metrics_quiet_host_scans, which
# waits for three full scans: their interval grows with their CPU cost
# (52 s under valgrind). Check runs no timer without fork (CK_FORK=no): the unit run
# has no per-test time limit to scale.
# VG_EXCLUDE_FILES: whole files left out, whose daemons only serve the
# CLI's output, options and owner mapping (the scan and request paths they
# take run under valgrind in every other file): ~160 s of the stage.
VG_EXCLUDE_FILES ?= listeners|namespaces|owners|output|checkconfig|cli_options|cli_fit|compact|provenance|activation|units|tls|scan_method|load
VG_BUILD   ?= build-valgrind
VG_PATTERN ?=
VG_EXCLUDE ?= metrics_quiet_host_scans|hostile_refresh_(no_read|both|flood)|hostile_churn_(netns|flap)|hostile_clients_(flood|stalled_watcher)|slow_watcher|hostile_memory_forked_argv|load_many_clients|apache_graceful_restarts|nft_verdicts|nft_dnat|explain_reach|webconf_|tls_(facts|old|plain|silent|peer|dropped|hostile|nginx)|provenance_list_waits|faults_sigkill_during_save|docs_records_cover_output|man_(pages|programs|config|journal|completion_options|zsh_completion)|fleet_(alert_rules|doc_matches)|hidden_netns_(socket|user)_procfs
VALGRIND   ?= valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
              --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
              --track-fds=no --num-callers=30 --suppressions=$(CURDIR)/tests/valgrind.supp \
              --child-silent-after-fork=yes
valgrind: deps
	$(Q)$(MAKE) --no-print-directory BUILD=$(VG_BUILD) OPT="-O1 -g" tests
	$(Q)BUILD=$(VG_BUILD) VALGRIND='$(VALGRIND)' tests/valgrind-units.sh
	$(Q)BUILD=$(VG_BUILD) SA_IT_STAGE_SLOW=$(VG_SLOW) SA_IT_EXCLUDE='$(VG_EXCLUDE)' SA_IT_EXCLUDE_FILES='$(VG_EXCLUDE_FILES)' \
	    SA_IT_DAEMON_WRAPPER="env SOCKAUDITD_EBPF=0 $(VALGRIND) --log-file=%q{SA_IT_DIR}/valgrind.%p.log" \
	    tests/integration/run.sh '$(VG_PATTERN)'

# Both sanitizer runs (asan, then a short fuzz) as CI runs them.
check-sanitizers:
	$(Q)$(MAKE) --no-print-directory asan
	$(Q)$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

# The units under a real systemd: a cached debootstrapped Debian root, make
# install into a fresh copy as README.md says, booted with systemd-nspawn,
# once rebooted; then the .deb (built as make deb does, ~1 min) installed
# with apt, upgraded, purged and installed again in a second fresh copy
# (root; ~2.5 min cached). SKIPs when the archive or systemd-nspawn is unavailable.
.PHONY: check-systemd
check-systemd: deps
	$(Q)$(MAKE) --no-print-directory all tests
	$(Q)BUILD=$(BUILD) tests/systemd/run.sh

# Benchmarks: a loaded host in a network namespace, sockaudit against ss
# and lsof (bench/run.sh; needs root). BENCH_SIZES="PROCSxFDS ...".
BENCH_SIZES ?= 500x100 4000x250
BENCH_TOOLS := $(BUILD)/bench/sa-loadhost $(BUILD)/bench/sa-timeit $(BUILD)/bench/sa-fresh $(BUILD)/bench/sa-noop \
               $(BUILD)/bench/sa-rtt

# The floor `who` is measured against: a process that does nothing, linked as the CLI is.
$(BUILD)/bench/sa-noop: bench/sa-noop.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -static-pie -o $@ $<

$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $<

.PHONY: bench-provenance
# What the owners' package verdicts cost a list (bench/provenance.sh; root, nginx).
bench-provenance: all $(BUILD)/bench/sa-timeit
	$(Q)BUILD=$(BUILD) bench/provenance.sh

.PHONY: bench
bench: all $(BENCH_TOOLS) $(BUILD)/tests/helpers/sa-listen $(BUILD)/tests/helpers/sa-netns-listen
	$(Q)BUILD=$(BUILD) BENCH_SIZES="$(BENCH_SIZES)" bench/run.sh
