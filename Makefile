# whodunnit: libwdn and the wdn-* commands.
#
#   make            library into build/, commands into bin/
#   make demo       record the bundled sample trail and look up its example key
#   make check      install missing build dependencies, build, run every test
#   make asan       the whole suite under address + undefined sanitizers
#   make fuzz       run every libFuzzer target for FUZZTIME seconds (clang)
#   make bench      benchmarks over generated trails (figures as ratios)
#   make install    PREFIX=/usr/local DESTDIR=
#   V=1             show the full compiler commands

PREFIX ?= /usr/local
BINDIR_INSTALL = $(PREFIX)/bin
LIBDIR = $(PREFIX)/lib
INCDIR = $(PREFIX)/include
MANDIR = $(PREFIX)/share/man
DATADIR = $(PREFIX)/share

CC ?= cc
CXX ?= c++
CFLAGS ?= -O2 -g
LDFLAGS ?=
B ?= build/default
BIN ?= bin

PKGS = libcurl yajl zlib libsodium sqlite3 expat libdeflate libcrypto simdjson libisal
DEBS = libcurl4-openssl-dev libyajl-dev zlib1g-dev libsodium-dev libsqlite3-dev libdeflate-dev \
       libexpat1-dev libssl-dev libsimdjson-dev libisal-dev g++ pkg-config mandoc jq yajl-tools sqlite3 bc curl binutils zip graphviz cmark-gfm

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libcurl is not linked: lib/http.c opens it on first use (startup speed)
PKG_LIBS := $(shell pkg-config --libs $(filter-out libcurl,$(PKGS)) 2>/dev/null) -lstdc++ -ldl -lpthread
# The commands link these statically: resolving the symbols of five shared
# libraries cost a lookup ~40% more instructions than SQLite's own shell
# takes for 'select 1'. Debian's -dev packages ship the archives.
# libcrypto (digest signatures, lib/digest.c) too: statically, only the
# commands that verify digests pull it in, and wdn-lookup stays as it was.
# simdjson (the reader's fast path, lib/fastjson.cc) has no archive in Debian:
# it and the C++ runtime are shared, and only where the reader is linked in.
# ISA-L (lib/isal.c, gzip in well under half of libdeflate's time) has none
# either: shared, and only where a command asks for it.
CMD_LIBS = -Wl,-Bstatic -lyajl_s -lsodium -lsqlite3 -lexpat -ldeflate -lcrypto -lz -Wl,-Bdynamic \
	-Wl,--as-needed -lsimdjson -lstdc++ -lisal -Wl,--no-as-needed -lm -ldl -lpthread
WARN = -Wall -Wextra -Wshadow -Wno-unused-parameter
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -fPIC -Ilib $(PKG_CFLAGS) $(CFLAGS)
ALL_CXXFLAGS = -std=c++17 -D_GNU_SOURCE $(WARN) -fPIC -Ilib $(PKG_CFLAGS) $(CFLAGS)

# Quiet build lines ("CC lib/aws.o") unless V=1 asks for the full commands.
ifeq ($(V),1)
Q =
say = @true
else
Q = @
say = @printf '  %-6s %s\n'
endif

SOVERSION = 0
LIB_SRC := $(sort $(wildcard lib/*.c))
LIB_CXX := $(sort $(wildcard lib/*.cc))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o) $(LIB_CXX:%.cc=$(B)/%.o)
CLI_SRC := cmd/cli.c
CLI_OBJ := $(B)/cmd/cli.o
CMDS := $(sort $(basename $(notdir $(wildcard cmd/wdn-*.c))))
CMD_BIN := $(CMDS:%=$(BIN)/%)
UNIT_SRC := $(sort $(wildcard tests/unit/t-*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz-*.c))
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/tests/replay-%)
TOOL_BIN := $(B)/tests/gentrail

.SECONDARY:
.PHONY: all check test asan fuzz bench install uninstall clean deps tools demo
all: $(B)/libwdn.a $(B)/libwdn.so.$(SOVERSION) $(B)/wdn.pc $(CMD_BIN)

# Only what lib/wdn.h marks WDN_API leaves libwdn.so: the library's objects
# are built hidden. Commands and tests link libwdn.a, where the module
# headers' functions are theirs too (and keep their own symbols visible:
# t-allocfail names its frames with dladdr).
$(LIB_OBJ): VISIBILITY = -fvisibility=hidden
$(B)/%.o: %.c lib/wdn.h $(wildcard lib/*.h cmd/*.h)
	@mkdir -p $(@D)
	$(say) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) $(VISIBILITY) -c -o $@ $<

$(B)/%.o: %.cc lib/wdn.h $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(say) CXX $@
	$(Q)$(CXX) $(ALL_CXXFLAGS) $(VISIBILITY) -c -o $@ $<

$(B)/libwdn.a: $(LIB_OBJ)
	$(say) AR $@
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(B)/libwdn.so.$(SOVERSION): $(LIB_OBJ)
	$(say) LD $@
	$(Q)$(CC) -shared -Wl,-soname,libwdn.so.$(SOVERSION) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
	$(Q)ln -sf libwdn.so.$(SOVERSION) $(B)/libwdn.so

# libcurl is opened at run time, not required at link time
PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(shell sed -n 's/^\#define WDN_VERSION "\(.*\)"/\1/p' lib/wdn.h)|' \
	-e 's|@REQUIRES@|$(filter-out libcurl,$(PKGS))|' lib/wdn.pc.in
$(B)/wdn.pc: lib/wdn.pc.in Makefile lib/wdn.h
	$(say) GEN $@
	$(Q)$(PC_SED) > $@

# Commands link the static library so bin/ runs in-tree with no LD_LIBRARY_PATH.
# The two that read trails in bulk ask for the reader's fast path (a weak
# symbol of lib/reader.c); the others start faster without the C++ runtime.
# wdn-enrich -o compresses with ISA-L (weak in lib/outtree.c, which falls
# back to libdeflate: the Lambda build does).
$(BIN)/wdn-record: CMD_FAST = -Wl,-u,wdn_fast_walk
$(BIN)/wdn-enrich: CMD_FAST = -Wl,-u,wdn_fast_walk -Wl,-u,wdn_isal_gzip
$(BIN)/%: $(B)/cmd/%.o $(CLI_OBJ) $(B)/libwdn.a
	@mkdir -p $(@D)
	$(say) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CLI_OBJ) $(CMD_FAST) $(B)/libwdn.a $(CMD_LIBS)

$(B)/tests/%: tests/unit/%.c tests/unit/tap.h $(B)/libwdn.a
	@mkdir -p $(@D)
	$(say) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $(LDFLAGS) $(UNIT_LDFLAGS) -o $@ $< -Wl,-u,wdn_fast_walk -Wl,-u,wdn_isal_gzip $(B)/libwdn.a $(PKG_LIBS) -lm

# The output tree's tests again, without ISA-L: the libdeflate fallback that
# the Lambda build compresses with.
UNIT_BIN += $(B)/tests/t-outtree-deflate
$(B)/tests/t-outtree-deflate: tests/unit/t-outtree.c tests/unit/tap.h $(B)/libwdn.a
	@mkdir -p $(@D)
	$(say) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(B)/libwdn.a $(PKG_LIBS) -lm

# The allocation-failure run counts and fails the library's own allocations:
# the linker sends them to the test's wrappers; -rdynamic names their callers.
$(B)/tests/t-allocfail: UNIT_LDFLAGS = -rdynamic -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
# t-recorder counts the library's allocations the same way; the answer
# cache's test counts what the library holds: every allocation and free.
$(B)/tests/t-recorder: UNIT_LDFLAGS = -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
$(B)/tests/t-enrichcache: UNIT_LDFLAGS = -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free

# Fuzz targets replay their corpora in every check through a plain main();
# the command layer's parsers (fuzz-cli) come with cli.o.
$(B)/tests/replay-%: tests/fuzz/%.c tests/fuzz/replay.c $(CLI_OBJ) $(B)/libwdn.a
	@mkdir -p $(@D)
	$(say) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(CLI_OBJ) -Wl,-u,wdn_fast_walk -Wl,-u,wdn_isal_gzip $(B)/libwdn.a $(PKG_LIBS) -lm

$(B)/tests/gentrail: tests/bench/gentrail.c $(B)/libwdn.a
	@mkdir -p $(@D)
	$(say) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libwdn.a $(PKG_LIBS)

tools: $(UNIT_BIN) $(REPLAY_BIN) $(TOOL_BIN)

deps:
	@sh tests/deps.sh $(DEBS)

# The README's first command: a fresh embedded store, the bundled sample
# trail recorded into it, and the prototype's example key looked up.
demo: deps
	@$(MAKE) --no-print-directory all
	@rm -f build/demo.db build/demo.db-*
	$(BIN)/wdn-record --store build/demo.db tests/fixtures/seed-example.json
	$(BIN)/wdn-lookup --store build/demo.db ASIATJVZAAAARRT5X7PR

# The AWS Lambda package for the provided.al2023 runtime: bootstrap (which
# runs wdn-record --lambda, wdn-lookup --lambda or wdn-enrich --lambda, as the function's handler
# says) and the three commands, linked with deploy/glibc-compat.c so that they
# need no glibc newer than AL2023's; deploy/package.sh checks. They read every
# input the streaming way: the reader's fast path would bring libsimdjson and
# Debian's libstdc++, which needs glibc 2.36.
LAMBDA_ZIP = $(B)/lambda/whodunnit-lambda.zip
LAMBDA_BIN = $(B)/lambda/wdn-record $(B)/lambda/wdn-lookup $(B)/lambda/wdn-enrich
.PHONY: lambda
lambda: $(LAMBDA_ZIP)

$(B)/lambda/%: $(B)/cmd/%.o $(CLI_OBJ) $(B)/libwdn.a deploy/glibc-compat.c
	@mkdir -p $(@D)
	$(say) LD $@
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -s -o $@ $< deploy/glibc-compat.c $(CLI_OBJ) $(B)/libwdn.a $(CMD_LIBS)

$(LAMBDA_ZIP): $(LAMBDA_BIN) deploy/bootstrap deploy/package.sh
	sh deploy/package.sh $@ deploy/bootstrap $(LAMBDA_BIN)

check: deps
	@$(MAKE) --no-print-directory all tools
	@B=$(B) BIN=$(BIN) sh tests/run.sh

test: all tools
	@B=$(B) BIN=$(BIN) sh tests/run.sh

ASAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
asan: deps
	@$(MAKE) --no-print-directory B=build/asan BIN=build/asan/bin \
	    CFLAGS="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" all tools
	@B=build/asan BIN=build/asan/bin WDN_SANITIZED=1 \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    sh tests/run.sh

FUZZTIME ?= 60
fuzz:
	@sh tests/fuzz/run.sh $(FUZZTIME)

bench: all $(TOOL_BIN)
	@B=$(B) BIN=$(BIN) sh tests/bench/run.sh

install: all
	install -d $(DESTDIR)$(BINDIR_INSTALL) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(DATADIR)/bash-completion/completions $(DESTDIR)$(DATADIR)/zsh/site-functions \
	    $(DESTDIR)$(DATADIR)/fish/vendor_completions.d $(DESTDIR)$(DATADIR)/fish/vendor_functions.d
	install -m 755 $(CMD_BIN) $(DESTDIR)$(BINDIR_INSTALL)/
	install -m 644 $(B)/libwdn.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(B)/libwdn.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libwdn.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libwdn.so
	install -m 644 lib/wdn.h $(DESTDIR)$(INCDIR)/
	$(PC_SED) > $(DESTDIR)$(LIBDIR)/pkgconfig/wdn.pc
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(wildcard man/*.7) $(DESTDIR)$(MANDIR)/man7/
	for c in $(CMDS); do \
	    install -m 644 completions/wdn.bash $(DESTDIR)$(DATADIR)/bash-completion/completions/$$c; \
	    install -m 644 completions/$$c.fish $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/ 2>/dev/null || true; \
	done
	install -m 644 completions/_wdn $(DESTDIR)$(DATADIR)/zsh/site-functions/
	install -m 644 completions/wdn.fish $(DESTDIR)$(DATADIR)/fish/vendor_functions.d/__wdn_complete.fish

uninstall:
	for c in $(CMDS); do rm -f $(DESTDIR)$(BINDIR_INSTALL)/$$c $(DESTDIR)$(MANDIR)/man1/$$c.1 \
	    $(DESTDIR)$(DATADIR)/bash-completion/completions/$$c $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/$$c.fish \
	    $(DESTDIR)$(DATADIR)/zsh/site-functions/_$$c; done # (_CMD: from installs before the shared _wdn)
	rm -f $(DESTDIR)$(DATADIR)/zsh/site-functions/_wdn $(DESTDIR)$(DATADIR)/fish/vendor_functions.d/__wdn_complete.fish
	rm -f $(DESTDIR)$(LIBDIR)/libwdn.a $(DESTDIR)$(LIBDIR)/libwdn.so $(DESTDIR)$(LIBDIR)/libwdn.so.$(SOVERSION) \
	    $(DESTDIR)$(INCDIR)/wdn.h $(DESTDIR)$(LIBDIR)/pkgconfig/wdn.pc $(DESTDIR)$(MANDIR)/man7/wdn.7

clean:
	rm -rf build bin tests/out
