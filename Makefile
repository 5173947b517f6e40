# Build of the WTPF suite: four daemons on a shared set of libraries in common/.
#
# Layout conventions (no per-file edits needed when a source is added):
#   common/<mod>/*.c          -> $(BUILD)/lib/lib<mod>.a
#   <node>/*.c minus main.c   -> $(BUILD)/lib/lib<node>.a, main.c -> $(BUILD)/bin/<node>
#   tests/unit/<mod>/test_*.c -> $(BUILD)/tests/<mod>/test_* (linked with lib<mod> and its deps)
#   tests/fuzz/fuzz_<mod>_*.c -> $(BUILD)/fuzz/fuzz_<mod>_* (clang + libFuzzer, sources of <mod>)
# `make check` installs missing packages, then builds everything with ASan+UBSan in build/san and
# runs the unit tests, the fuzz smoke runs and the component/e2e tests.

SAN     ?= 0
# Sanitized objects never mix with plain ones: SAN=1 defaults to its own build directory.
BUILD   ?= $(if $(filter 1,$(SAN)),build/san,build)
PREFIX  ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
DOCDIR ?= $(PREFIX)/share/doc/wtpf-suite
VERSION := 0.1.0

CC      ?= cc
PKGS    := glib-2.0 gio-2.0 gio-unix-2.0 libconfig libmicrohttpd libsystemd libxml-2.0 \
           json-glib-1.0 gnutls sofia-sip-ua sofia-sip-ua-glib nice libsrtp2 liburing
# Lazy (=) so that `make deps` works before the -dev packages are installed.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS)) -lcrypt -lm -lpthread

# The daemons' allocator (docs/DECISIONS.md): gperftools' tcmalloc (Debian libtcmalloc-minimal4)
# in plain builds: sofia-sip and GLib allocate and free per message, and glibc's malloc was
# 12-16 % of the pcscf. Sanitizer builds keep ASan's allocator. MALLOC=libc links none.
MALLOC  ?= $(if $(filter 1,$(SAN)),libc,tcmalloc)
TCMALLOC_LIBS := -Wl,--no-as-needed -ltcmalloc_minimal
MALLOC_LIBS = $(if $(filter tcmalloc,$(MALLOC)),$(TCMALLOC_LIBS))

WARN    := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2
CFLAGS_BASE = -std=gnu11 -g -O2 $(WARN) -I. -Icommon -DSUITE_VERSION=\"$(VERSION)\" $(PKG_CFLAGS)
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
CFLAGS_BASE += -O1
else
SANFLAGS :=
endif
ALL_CFLAGS = $(CFLAGS_BASE) $(SANFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)

COMMON_MODS := runtime diameter h248 ws sip
NODES       := hss-stub eims-agw pcscf wtpf

# Module dependencies (link order: dependents first).
DEPS_runtime  :=
DEPS_diameter := runtime
DEPS_h248     := runtime
DEPS_ws       :=
DEPS_sip      :=
DEPS_hss-stub := diameter runtime
DEPS_eims-agw := h248 sip runtime
DEPS_pcscf    := sip h248 diameter runtime
DEPS_wtpf     := ws sip runtime

srcs_of = $(if $(filter $(1),$(NODES)),$(filter-out $(1)/main.c,$(wildcard $(1)/*.c)),$(wildcard common/$(1)/*.c))
objs_of = $(patsubst %.c,$(BUILD)/obj/%.o,$(call srcs_of,$(1)))
lib_of  = $(BUILD)/lib/lib$(1).a
libs_for = $(call lib_of,$(1)) $(foreach d,$(DEPS_$(1)),$(call lib_of,$(d)))

MODS := $(COMMON_MODS) $(NODES)
# A node's daemon is built once its main.c exists (nodes land one issue at a time).
NODES_BUILT := $(foreach n,$(NODES),$(if $(wildcard $(n)/main.c),$(n)))
BINS := $(foreach n,$(NODES_BUILT),$(BUILD)/bin/$(n))
UNIT_SRCS := $(wildcard tests/unit/*/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
TOOL_SRCS := $(wildcard tests/tools/*.c bench/*.c)
TOOL_BINS := $(patsubst %.c,$(BUILD)/%,$(notdir $(TOOL_SRCS)))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

.PHONY: all deps run check tests unit fuzz component e2e install clean samples bench
all: $(BINS)

deps:
	@scripts/install-deps.sh

# The README's first command: the lab on loopback with etc/lab/.
run: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) LAB=$(LAB) scripts/run-lab.sh

# The README's second command: every test, under ASan + UBSan.
check: deps
	@$(MAKE) --no-print-directory BUILD=build/san SAN=1 tests
	@BUILD=build/san scripts/run-tests.sh

tests: $(BINS) $(UNIT_BINS) $(TOOL_BINS) fuzz

# Run one module's unit tests: make unit M=diameter
unit: $(if $(M),$(filter $(BUILD)/tests/$(M)/%,$(UNIT_BINS)),$(UNIT_BINS))
	@BUILD=$(BUILD) scripts/run-unit.sh $(M)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

define MOD_RULES
$(call lib_of,$(1)): $(call objs_of,$(1))
	@mkdir -p $$(dir $$@)
	@rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach m,$(MODS),$(eval $(call MOD_RULES,$(m))))

define NODE_RULES
$(BUILD)/bin/$(1): $(BUILD)/obj/$(1)/main.o $(call libs_for,$(1))
	@mkdir -p $$(dir $$@)
	@echo "  LD  $$@"
	@$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(PKG_LIBS) $$(MALLOC_LIBS)
endef
$(foreach n,$(NODES),$(eval $(call NODE_RULES,$(n))))

define UNIT_RULES
$(BUILD)/tests/$(1)/%: tests/unit/$(1)/%.c tests/unit/unit.h $(call libs_for,$(1))
	@mkdir -p $$(dir $$@)
	@echo "  LD  $$@"
	@$$(CC) $$(ALL_CFLAGS) -Itests/unit $$(ALL_LDFLAGS) -o $$@ $$< $(call libs_for,$(1)) $$(PKG_LIBS)
endef
$(foreach m,$(MODS),$(eval $(call UNIT_RULES,$(m))))

# Test peers and benchmarks written in C link with every library.
ALL_LIBS = $(foreach n,$(NODES_BUILT),$(call lib_of,$(n))) $(foreach m,sip h248 diameter ws runtime,$(call lib_of,$(m)))
$(BUILD)/%: tests/tools/%.c $(ALL_LIBS)
	@mkdir -p $(dir $@)
	@echo "  LD  $@"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(ALL_LIBS) $(PKG_LIBS)
$(BUILD)/%: bench/%.c $(ALL_LIBS)
	@mkdir -p $(dir $@)
	@echo "  LD  $@"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(ALL_LIBS) $(PKG_LIBS)

# Fuzz targets: clang + libFuzzer, compiled from the module's own (pure) sources.
FUZZ_CC ?= clang
# Files that do I/O (sockets, timers, logging) are not part of a codec's fuzz build.
FUZZ_IO_SRCS := common/diameter/peer.c common/h248/transport.c
fuzz_mod = $(word 2,$(subst _, ,$(notdir $(1))))
fuzz: $(FUZZ_BINS)
$(BUILD)/fuzz/%: tests/fuzz/%.c $(wildcard common/*/*.[ch] wtpf/*.[ch])
	@mkdir -p $(dir $@)
	@echo "  FUZZ $@"
	@$(FUZZ_CC) -std=gnu11 -g -O1 -I. -Icommon $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined \
	  -o $@ $< $(filter-out $(FUZZ_IO_SRCS),$(wildcard common/$(call fuzz_mod,$*)/*.c)) $(PKG_LIBS)

# Benchmarks print figures; never run by make check (see docs/BENCHMARKS.md).
bench: all $(TOOL_BINS)
	@for b in bench/*.sh; do [ -x "$$b" ] && BUILD=$(BUILD) "$$b"; done; true

# Sample config files are generated from each node's key table.
samples: $(BINS)
	@for n in $(NODES_BUILT); do $(BUILD)/bin/$$n --print-sample > etc/$$n.conf.sample; done

# Binaries, sample and lab configurations, systemd units (dedicated user via sysusers.d).
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SYSCONFDIR)/wtpf-suite/lab \
	  $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(DOCDIR)
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	for n in $(NODES_BUILT); do \
	  install -m 0755 $(BUILD)/bin/$$n $(DESTDIR)$(PREFIX)/bin/$$n; \
	  $(BUILD)/bin/$$n --print-sample > $(DESTDIR)$(SYSCONFDIR)/wtpf-suite/$$n.conf.sample; \
	  install -m 0644 etc/lab/$$n.conf $(DESTDIR)$(SYSCONFDIR)/wtpf-suite/lab/$$n.conf; \
	  sed -e 's|@BINDIR@|$(PREFIX)/bin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' \
	    etc/systemd/wtpf-suite-$$n.service > $(DESTDIR)$(UNITDIR)/wtpf-suite-$$n.service; \
	done
	if [ -d $(BUILD)/bin ] && [ -x $(BUILD)/bin/wtpf ]; then \
	  install -d $(DESTDIR)$(PREFIX)/share/wtpf-suite/www && \
	  install -m 0644 wtpf/www/* $(DESTDIR)$(PREFIX)/share/wtpf-suite/www/; fi
	install -m 0644 etc/systemd/wtpf-suite.sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/wtpf-suite.conf

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
