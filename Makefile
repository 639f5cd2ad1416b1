# memhier — one non-recursive GNU Makefile.
# Layout: sim/*.c -> libmemhier.a (the library); bench/*.c -> benchmark/platform objects;
# sim/cli/*.c -> the front end; tests/unit/test_*.c -> one cmocka binary each.

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
BUILD ?= build
SAN_BUILD ?= build-san

PKGS := libzstd inih hwloc papi
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror
CFLAGS ?= -O2 -g
# The simulator library (sim/*.c) gets -O3 on top: ~5 % fewer instructions per record in the replay
# loop. The benchmark kernels keep CFLAGS, so the code they time does not change with it.
SIM_OPT ?= -O3
# ... and the build machine's vector unit where it has x86-64-v3 (AVX2, BMI2, FMA; not AVX-512,
# which Valgrind cannot run): sim/setscan.h compares four ways per instruction (~8 % fewer
# instructions per record). Floating-point contraction stays off, so results are the same
# bit for bit. SIM_ARCH= builds for any x86-64.
SIM_ARCH ?= $(shell scripts/sim-arch.sh $(CC))
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Iinclude -Isim -Ibench $(PKG_CFLAGS) -MMD -MP
LDLIBS := $(PKG_LIBS) -lm -lpthread
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

VERSION := $(shell git describe --always --dirty --tags 2>/dev/null || echo unknown)
ALL_CFLAGS += -DMH_VERSION_STRING='"$(VERSION)"'
# The files that embed the version are recompiled whenever it changes (a commit, a tree turning
# dirty or clean): the stamp is rewritten only then, and their objects depend on it.
VERSION_STAMP := $(BUILD)/version.stamp
$(shell mkdir -p $(BUILD) && [ "$$(cat $(VERSION_STAMP) 2>/dev/null)" = "$(VERSION)" ] || echo "$(VERSION)" >$(VERSION_STAMP))

# One CRC32C file per target (sim/crc32c_*.c): the CPU's instruction on x86-64 and aarch64, the
# tables alone elsewhere.
CC_MACHINE := $(shell $(CC) -dumpmachine)
CRC_ARCH := $(or $(if $(filter x86_64-%,$(CC_MACHINE)),x86),$(if $(filter aarch64-%,$(CC_MACHINE)),arm),generic)
LIB_SRC := $(filter-out sim/crc32c_%.c,$(wildcard sim/*.c)) sim/crc32c_$(CRC_ARCH).c
# CPUID (the TLBs detect writes) where the target has it: bench/topo_cpuid_x86.c, else _none.
CPUID_ARCH := $(if $(filter x86_64-% i686-% i386-%,$(CC_MACHINE)),x86,none)
BENCH_SRC := $(filter-out bench/topo_cpuid_%.c,$(wildcard bench/*.c)) bench/topo_cpuid_$(CPUID_ARCH).c
CLI_SRC := $(wildcard sim/cli/*.c)
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_SUPPORT := $(wildcard tests/unit/support_*.c)

# $(call objs,BUILDDIR,SOURCES)
objs = $(patsubst %.c,$(1)/%.o,$(2))

LIB := $(BUILD)/libmemhier.a
BIN ?= bin/memhier
TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))
SAN_TESTS := $(patsubst tests/unit/%.c,$(SAN_BUILD)/tests/%,$(TEST_SRC))

DEPS_STAMP := $(BUILD)/.deps-ok

.PHONY: all test test-unit bench install clean deps run bundle fuzz
all: $(BIN) $(LIB)

VERSION_USERS := $(shell grep -l MH_VERSION_STRING $(LIB_SRC) $(BENCH_SRC) $(CLI_SRC))
$(call objs,$(BUILD),$(VERSION_USERS)) $(call objs,$(SAN_BUILD),$(VERSION_USERS)): $(VERSION_STAMP)

# Install missing packages (or print the command) before the first build.
$(DEPS_STAMP): scripts/deps.sh
	@scripts/deps.sh
	@mkdir -p $(BUILD) && touch $@

deps:
	@scripts/deps.sh

$(BUILD)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/sim/%.o: ALL_CFLAGS += $(SIM_OPT) $(SIM_ARCH)
# test_policy checks the ordered sets' vector code (sim/setscan.h) as the library is built; the
# sanitizer build checks the SSE2 code.
$(BUILD)/tests/unit/test_policy.o: ALL_CFLAGS += $(SIM_ARCH)
# The kernels' timed loops start on a 32-byte boundary inside 64-byte aligned functions: where the
# linker happens to place them (any unrelated change moves them) must not change what they
# measure. A 13-byte loop across a 64-byte boundary ran the stack kernel ~18 % slower here.
KERNEL_ALIGN ?= -falign-functions=64 -falign-loops=32
$(BUILD)/bench/kernel_%.o: ALL_CFLAGS += $(KERNEL_ALIGN)
# The unit tests' shared references (tests/lib/*.h; the fuzz harnesses use them too).
$(BUILD)/tests/unit/%.o $(SAN_BUILD)/tests/unit/%.o: ALL_CFLAGS += -Itests/lib

$(SAN_BUILD)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC-SAN  $<"
	@$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -O1 -c $< -o $@

$(BUILD)/libmemhier.a: $(call objs,$(BUILD),$(LIB_SRC))
	@rm -f $@
	ar rcs $@ $^

$(SAN_BUILD)/libmemhier.a: $(call objs,$(SAN_BUILD),$(LIB_SRC))
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libmhbench.a: $(call objs,$(BUILD),$(BENCH_SRC))
	@rm -f $@
	ar rcs $@ $^

$(SAN_BUILD)/libmhbench.a: $(call objs,$(SAN_BUILD),$(BENCH_SRC))
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(call objs,$(BUILD),$(CLI_SRC)) $(BUILD)/libmhbench.a $(LIB)
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(SAN_BUILD)/memhier: $(call objs,$(SAN_BUILD),$(CLI_SRC)) $(SAN_BUILD)/libmhbench.a $(SAN_BUILD)/libmemhier.a
	$(CC) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(call objs,$(BUILD),$(TEST_SUPPORT)) $(BUILD)/libmhbench.a $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LDLIBS)

$(SAN_BUILD)/tests/%: $(SAN_BUILD)/tests/unit/%.o $(call objs,$(SAN_BUILD),$(TEST_SUPPORT)) $(SAN_BUILD)/libmhbench.a $(SAN_BUILD)/libmemhier.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LDLIBS)

# test_counters_pmu runs bench/counters.c on the simulated PMU of tests/lib/fake_papi.c, linked in
# place of libpapi (the binary's own PAPI_* symbols win); tests/integration/counters_pmu.sh preloads
# the same file as a shared object into bin/memhier.
FAKE_PAPI := $(BUILD)/tests/libfakepapi.so
$(BUILD)/tests/test_counters_pmu: $(BUILD)/tests/lib/fake_papi.o
$(SAN_BUILD)/tests/test_counters_pmu: $(SAN_BUILD)/tests/lib/fake_papi.o
$(FAKE_PAPI): tests/lib/fake_papi.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -shared -o $@ $< -lpthread

# Unit tests (plain and sanitized), golden and integration tests; ends with "N passed, N failed".
test: $(BIN) $(TESTS) $(SAN_TESTS) $(SAN_BUILD)/memhier $(FAKE_PAPI)
	@scripts/deps.sh --test
	@tests/run.sh $(BUILD) $(SAN_BUILD) $(BIN)

bench: $(BIN)
	@scripts/bench.sh

run:
	@scripts/run-suite.sh

# The suite as one tarball for a machine without compiler or packages (scripts/bundle.sh). Its
# binary is built apart, without SIM_ARCH, so it runs on any x86-64 whatever this machine has.
PORTABLE := $(BUILD)-portable
bundle:
	@$(MAKE) --no-print-directory BUILD=$(PORTABLE) BIN=$(PORTABLE)/memhier SIM_ARCH= $(PORTABLE)/memhier
	@MH_BIN=$(PORTABLE)/memhier scripts/bundle.sh

# libFuzzer harnesses (fuzz/, clang + ASan + UBSan), each for FUZZ_SECONDS (scripts/fuzz.sh).
FUZZ_SECONDS ?= 600
fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh run

install: $(BIN) $(LIB)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/memhier
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libmemhier.a
	install -m 644 include/memhier.h $(DESTDIR)$(PREFIX)/include/memhier.h

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(PORTABLE) bin

.SECONDARY:
-include $(shell find $(BUILD) $(SAN_BUILD) -name '*.d' 2>/dev/null)
