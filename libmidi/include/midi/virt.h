/* virt.h: hosting a virtual device (the `virt` transport). The host process
 * declares what the device is (midi_device_decl: endpoint name, product
 * instance id, identity, function blocks, protocols); clients see the
 * endpoint virt:NAME. What clients send reaches the host (midi_virt_recv);
 * what the host sends reaches every client. UMP Stream discovery from
 * clients or the broker side, and the MIDI 1.0 Identity Request when an
 * identity is declared, are answered by the library from the declaration,
 * without the host's involvement (the asking client gets the reply). The endpoint disappears the
 * moment the host exits, SIGKILL included (its host lock is released by the
 * kernel; every process that looks notices and removes it). */
#ifndef MIDI_VIRT_H
#define MIDI_VIRT_H

#include <stddef.h>

#include "midi/discovery.h"
#include "midi/endpoint.h"
#include "midi/error.h"
#include "midi/ump.h"

typedef struct midi_virt midi_virt;

/* NAME: 1-40 chars [A-Za-z0-9._-]; the endpoint id is "virt:NAME". decl may
 * be NULL (defaults from midi_device_decl_init(NAME)). Fails with
 * MIDI_ERR_RUNTIME if a live host already serves that id. */
midi_virt *midi_virt_open(const char *name, const midi_device_decl *decl, midi_error *e);
const char *midi_virt_id(const midi_virt *v);
/* To every connected client. */
int midi_virt_send(midi_virt *v, const midi_packet *p, size_t n, midi_error *e);
/* What clients sent (stream messages handled by the library are not
 * returned). Same conventions as midi_recv. */
int midi_virt_recv(midi_virt *v, midi_packet *out, size_t max, int timeout_ms, midi_error *e);
int midi_virt_fd(midi_virt *v, midi_error *e);
/* Replace the declaration: clients are told (Endpoint Info/Name/Function
 * Block notifications) and the registry is updated ("updated" event). */
int midi_virt_update(midi_virt *v, const midi_device_decl *decl, midi_error *e);
/* Remove the endpoint (clients see it removed) and free. */
void midi_virt_close(midi_virt *v);

#endif
