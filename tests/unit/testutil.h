/* testutil.h: shared helpers for the cmocka unit tests (includes cmocka). */
#ifndef MIDI_TESTUTIL_H
#define MIDI_TESTUTIL_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#endif
