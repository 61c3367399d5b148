# Makefile: builds libmidi.a, the six programs, the helper program the
# library starts (libexec/midi-helper), tests, fuzzers and benchmarks.
# Sources are found by wildcard: adding a file under libmidi/ or cmd/ needs no
# edit here. Targets: all check bench install clean (PREFIX, DESTDIR).

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
CC        ?= cc
CLANG     ?= clang
CFLAGS    ?= -O2 -g
WARN      := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
LIBEXECDIR = $(PREFIX)/libexec
CPPFLAGS  += -Ilibmidi/include -Ilibmidi -D_GNU_SOURCE -DMIDI_VERSION=\"$(VERSION)\" \
	     -DMIDI_LIBEXECDIR=\"$(LIBEXECDIR)\"
LDLIBS    += -lpthread -lm
CURSES    := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncurses)
USBLIBS   := $(shell pkg-config --libs libusb-1.0 2>/dev/null)
USBCFLAGS := $(shell pkg-config --cflags libusb-1.0 2>/dev/null)
ALSALIBS  := $(shell pkg-config --libs alsa 2>/dev/null)
ALSACFLAGS:= $(shell pkg-config --cflags alsa 2>/dev/null)
NETLIBS   := $(shell pkg-config --libs nettle 2>/dev/null)
NETCFLAGS := $(shell pkg-config --cflags nettle 2>/dev/null)
AVAHILIBS := $(shell pkg-config --libs avahi-client 2>/dev/null)
AVAHICFLAGS:= $(shell pkg-config --cflags avahi-client 2>/dev/null)

LIB_SRC   := $(sort $(shell find libmidi -name '*.c'))
# The usb transport's libusb part is built only where libusb is found.
ifeq ($(USBLIBS),)
LIB_SRC   := $(filter-out libmidi/transport/usb.c libmidi/transport/usb_host.c,$(LIB_SRC))
else
CPPFLAGS  += -DMIDI_HAVE_LIBUSB
endif
# midi.pc's Requires.private: what the archive was built with.
PC_REQUIRES := $(if $(USBLIBS),libusb-1.0) $(if $(ALSALIBS),alsa) $(if $(NETLIBS),nettle)
# The alsa transport is built only where alsa-lib is found.
ifeq ($(ALSALIBS),)
LIB_SRC   := $(filter-out libmidi/transport/alsa%.c,$(LIB_SRC))
else
CPPFLAGS  += -DMIDI_HAVE_ALSA
USBLIBS   += $(ALSALIBS)
USBCFLAGS += $(ALSACFLAGS)
endif
# Network MIDI 2.0 (libmidi/net/: SHA-256 from nettle) is built only where
# nettle is found.
ifeq ($(NETLIBS),)
LIB_SRC   := $(filter-out libmidi/net/%,$(LIB_SRC))
else
CPPFLAGS  += -DMIDI_HAVE_NETTLE
USBLIBS   += $(NETLIBS)
USBCFLAGS += $(NETCFLAGS)
endif
# DNS-SD for it (advertising hosts, browsing for them: avahi) only where
# avahi-client is found too. It is not linked: the library loads it when
# DNS-SD is first used (net/netavahi_lib.c), so a program that does none
# never loads it and the D-Bus libraries under it.
LIB_AVAHI := libmidi/net/netavahi.c libmidi/net/netavahi_lib.c libmidi/net/netadvert.c \
	     libmidi/net/netbrowse.c
ifeq ($(NETLIBS)$(AVAHILIBS),$(NETLIBS))
LIB_SRC   := $(filter-out $(LIB_AVAHI),$(LIB_SRC))
else ifneq ($(NETLIBS),)
CPPFLAGS  += -DMIDI_HAVE_AVAHI
USBCFLAGS += $(AVAHICFLAGS)
endif
# cmd/midi-X.c is a program; cmd/*.c others are linked into every program;
# cmd/midi-X/*.c (optional) are linked into midi-X only.
CMD_MAIN  := $(sort $(wildcard cmd/midi-*.c))
CMD_COMMON:= $(sort $(filter-out $(CMD_MAIN),$(wildcard cmd/*.c)))
PROGS     := $(patsubst cmd/%.c,bin/%,$(CMD_MAIN))
# The helper program the library runs for hosts, discovery and the
# scheduler (libmidi/broker/spawn.c): libexec/ beside bin/, as installed.
HELPER_SRC:= cmd/helper/midi-helper.c
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
ifeq ($(ALSALIBS),)
UNIT_SRC  := $(filter-out tests/unit/test_alsa%.c,$(UNIT_SRC))
endif
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
ifeq ($(NETLIBS),)
UNIT_SRC  := $(filter-out tests/unit/test_net%.c,$(UNIT_SRC))
FUZZ_SRC  := $(filter-out tests/fuzz/fuzz_net%.c,$(FUZZ_SRC))
endif
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))

B  := build
BA := build-asan
BF := build-fuzz
# The library and two programs built as if of another shared-memory format
# (tests/bats/shm-format.bats: two versions never destroy each other's
# endpoints).
BX := build-fmt99

LIB_OBJ   := $(patsubst %.c,$(B)/%.o,$(LIB_SRC))
LIBA_OBJ  := $(patsubst %.c,$(BA)/%.o,$(LIB_SRC))
LIBF_OBJ  := $(patsubst %.c,$(BF)/%.o,$(LIB_SRC))
CMDC_OBJ  := $(patsubst %.c,$(B)/%.o,$(CMD_COMMON))
CMDCA_OBJ := $(patsubst %.c,$(BA)/%.o,$(CMD_COMMON))
UNIT_BIN  := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
UNITA_BIN := $(patsubst tests/unit/%.c,$(BA)/tests/%,$(UNIT_SRC))
FUZZ_BIN  := $(patsubst tests/fuzz/%.c,$(BF)/%,$(FUZZ_SRC))
BENCH_BIN := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRC))
PROGSA    := $(patsubst cmd/%.c,$(BA)/bin/%,$(CMD_MAIN))
LIBX_OBJ  := $(patsubst %.c,$(BX)/%.o,$(LIB_SRC))
CMDCX_OBJ := $(patsubst %.c,$(BX)/%.o,$(CMD_COMMON))
PROGSX    := $(BX)/bin/midi-list $(BX)/bin/midi-loop $(BX)/libexec/midi-helper
HELPER    := libexec/midi-helper
HELPERA   := $(BA)/libexec/midi-helper

SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: all check check-vm unit bats fuzz fuzz-long bench install clean asan demo lint FORCE
# Keep every object: no "rm" after the test summary, faster rebuilds.
.SECONDARY:
all: $(B)/libmidi.a $(PROGS) $(HELPER) $(B)/midi.pc

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) $(USBCFLAGS) -MMD -MP -c $< -o $@
$(BA)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O1 -g $(SAN) $(CPPFLAGS) $(USBCFLAGS) -MMD -MP -c $< -o $@
$(BF)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CLANG) -std=gnu11 -g -O1 -fsanitize=fuzzer-no-link,address,undefined $(CPPFLAGS) $(USBCFLAGS) -MMD -MP -c $< -o $@

$(BX)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O0 -DMIDI_SHM_FORMAT=99 $(CPPFLAGS) $(USBCFLAGS) -MMD -MP -c $< -o $@

# Two archives of each build. libmidi.a, the public one (installed, linked
# by the programs and the helper), is one relocatable object of the whole
# library in which only the midi_* names stay global, so the library's
# internal functions never clash with a program's own names
# (tests/bats/api.bats checks its symbol table). libmidi-internal.a (never
# installed) has every object as it is, for the unit tests, fuzz targets
# and benchmarks that test internal functions.
define public_archive
	@rm -f $@ $@.o
	$(LD) -r -o $@.o $^
	$(OBJCOPY) -w --keep-global-symbol='midi_*' $@.o
	ar rcs $@ $@.o
	@rm -f $@.o
endef
OBJCOPY ?= objcopy

# build-fmt99 is linked like the installed programs, with the public archive.
$(BX)/libmidi.a: $(LIBX_OBJ)
	$(public_archive)
$(B)/libmidi.a: $(LIB_OBJ)
	$(public_archive)
$(BA)/libmidi.a: $(LIBA_OBJ)
	$(public_archive)
$(B)/libmidi-internal.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(BA)/libmidi-internal.a: $(LIBA_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(BF)/libmidi-internal.a: $(LIBF_OBJ)
	@rm -f $@
	ar rcs $@ $^

# spawn.c has the installed helper's path compiled in: rebuilt when PREFIX
# changes (the stamp is rewritten only when its content differs).
$(B)/libexecdir.stamp $(BA)/libexecdir.stamp $(BF)/libexecdir.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(LIBEXECDIR)' | cmp -s - $@ || echo '$(LIBEXECDIR)' > $@
$(B)/libmidi/broker/spawn.o: $(B)/libexecdir.stamp
$(BA)/libmidi/broker/spawn.o: $(BA)/libexecdir.stamp
$(BF)/libmidi/broker/spawn.o: $(BF)/libexecdir.stamp

$(HELPER): $(patsubst %.c,$(B)/%.o,$(HELPER_SRC)) $(B)/libmidi.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(B)/libmidi.a $(USBLIBS) $(LDLIBS)
$(HELPERA): $(patsubst %.c,$(BA)/%.o,$(HELPER_SRC)) $(BA)/libmidi.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $< $(BA)/libmidi.a $(USBLIBS) $(LDLIBS)
$(BX)/libexec/midi-helper: $(patsubst %.c,$(BX)/%.o,$(HELPER_SRC)) $(BX)/libmidi.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(BX)/libmidi.a $(USBLIBS) $(LDLIBS)

own_obj = $(patsubst %.c,$(1)/%.o,$(wildcard cmd/$(2)/*.c))
.SECONDEXPANSION:
bin/%: $(B)/cmd/%.o $$(call own_obj,$(B),%) $(CMDC_OBJ) $(B)/libmidi.a
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $< $(call own_obj,$(B),$*) $(CMDC_OBJ) $(B)/libmidi.a $(USBLIBS) $(CURSES) $(LDLIBS)
$(BA)/bin/%: $(BA)/cmd/%.o $$(call own_obj,$(BA),%) $(CMDCA_OBJ) $(BA)/libmidi.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $< $(call own_obj,$(BA),$*) $(CMDCA_OBJ) $(BA)/libmidi.a $(USBLIBS) $(CURSES) $(LDLIBS)

$(BX)/bin/%: $(BX)/cmd/%.o $$(call own_obj,$(BX),%) $(CMDCX_OBJ) $(BX)/libmidi.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(call own_obj,$(BX),$*) $(CMDCX_OBJ) $(BX)/libmidi.a $(USBLIBS) $(CURSES) $(LDLIBS)

# A test binary comes with the helper its broker tests start (MIDI_HELPER).
$(B)/tests/%: tests/unit/%.c tests/unit/testutil.h $(B)/libmidi-internal.a | $(HELPER)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) -Itests/unit -o $@ $< $(B)/libmidi-internal.a -lcmocka $(USBLIBS) $(LDLIBS)
$(BA)/tests/%: tests/unit/%.c tests/unit/testutil.h $(BA)/libmidi-internal.a | $(HELPERA)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O1 -g $(SAN) $(CPPFLAGS) -Itests/unit -o $@ $< $(BA)/libmidi-internal.a -lcmocka $(USBLIBS) $(LDLIBS)
$(BF)/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h) $(BF)/libmidi-internal.a
	@mkdir -p $(dir $@)
	$(CLANG) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS) -o $@ $< $(BF)/libmidi-internal.a $(USBLIBS) $(LDLIBS)
$(B)/bench/%: bench/%.c bench/bench.h bench/corpus.h $(B)/libmidi-internal.a
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O2 -g $(CPPFLAGS) -Ibench -o $@ $< $(B)/libmidi-internal.a $(USBLIBS) $(LDLIBS)

$(B)/midi.pc: libmidi/midi.pc.in Makefile $(B)/libexecdir.stamp
	@mkdir -p $(B)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' -e 's|@REQUIRES@|$(PC_REQUIRES)|' $< > $@

asan: $(UNITA_BIN) $(PROGSA) $(HELPERA)
unit: $(UNIT_BIN)
fuzz: $(FUZZ_BIN)

# The whole test run: unit tests (plain and ASan+UBSan), bats end to end
# (plain programs), a short fuzz run of every target. Ends with "N passed, N failed, N skipped".
# Each build's tests run its own helper (tests/run.sh sets MIDI_HELPER).
check: all $(HELPER) $(HELPERA) $(UNIT_BIN) $(UNITA_BIN) $(PROGSA) $(PROGSX) $(FUZZ_BIN)
	@tests/run.sh

# Only the VM stage of check (tests/vm/): Debian's kernel in QEMU, the
# programs against a USB MIDI 1.0 gadget and a USB MIDI 2.0 device.
check-vm: all
	@tests/run.sh vm

# A longer fuzz campaign: FUZZ_SECONDS per target (default 600).
fuzz-long: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do n=$$(basename $$f); mkdir -p $(BF)/corpus/$$n; \
	  $$f -max_total_time=$${FUZZ_SECONDS:-600} $(BF)/corpus/$$n tests/fuzz/seeds/$$n 2>&1 | tail -3; done

# Prints one JSON document on stdout (build output goes to stderr).
bench:
	@$(MAKE) --no-print-directory all $(BENCH_BIN) >&2
	@bench/run.sh

demo: all
	@tests/demo.sh

# udev reads /usr/lib/udev/rules.d and /etc/udev/rules.d only: with another
# prefix, copy the rule to /etc/udev/rules.d (midi.conf(5)).
UDEVDIR ?= $(PREFIX)/lib/udev/rules.d
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	  $(DESTDIR)$(PREFIX)/include/midi $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/man/man3 $(DESTDIR)$(PREFIX)/share/man/man5 \
	  $(DESTDIR)$(PREFIX)/share/man/man7 $(DESTDIR)$(PREFIX)/share/man/man8 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	  $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d $(DESTDIR)$(UDEVDIR)
	install -m 755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	install -m 755 $(HELPER) $(DESTDIR)$(LIBEXECDIR)/
	install -m 644 $(B)/libmidi.a $(DESTDIR)$(PREFIX)/lib/
	install -m 644 $(B)/midi.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 644 libmidi/include/midi/*.h $(DESTDIR)$(PREFIX)/include/midi/
	for s in 1 3 5 7 8; do for f in man/*.$$s; do [ -e "$$f" ] && install -m 644 $$f $(DESTDIR)$(PREFIX)/share/man/man$$s/; done; done; true
	install -m 644 completions/midi.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/midi
	for p in $(notdir $(PROGS)); do ln -sf midi $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$p; done
	for f in completions/_*; do [ -e "$$f" ] && install -m 644 $$f $(DESTDIR)$(PREFIX)/share/zsh/site-functions/; done; true
	install -m 644 udev/60-midi-usb.rules $(DESTDIR)$(UDEVDIR)/
	for f in completions/*.fish; do [ -e "$$f" ] && install -m 644 $$f $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/; done; true

lint:
	mandoc -Tlint -Wwarning man/* 

clean:
	rm -rf $(B) $(BA) $(BF) $(BX) bin libexec

-include $(shell find $(B) $(BA) $(BX) $(BF) -name '*.d' 2>/dev/null)
