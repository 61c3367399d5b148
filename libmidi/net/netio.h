/* netio.h: the UDP side the net transport's two roles share (netio.c):
 * addresses ("HOST:PORT", "[V6]:PORT", names resolved once), a
 * non-blocking datagram socket, and sending a datagram to an address. */
#ifndef MIDI_NETIO_H
#define MIDI_NETIO_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "midi/error.h"

#define NETIO_DEFAULT_PORT 5673 /* the port examples of the specification use */
#define NETIO_MAX_DGRAM 1500

struct netio_addr {
	struct sockaddr_storage sa;
	socklen_t len;
};

/* "HOST", "HOST:PORT", "[V6ADDR]:PORT" (port default_port when absent):
 * resolved (numeric or by name). Port 0 (any) only where default_port is
 * 0 (a place to listen). 0, or an error naming what. */
int netio_resolve(const char *spec, unsigned default_port, struct netio_addr *out, midi_error *e);
/* "ADDR:PORT" of a (for messages). */
void netio_format(const struct netio_addr *a, char *buf, size_t n);
int netio_same(const struct netio_addr *a, const struct netio_addr *b);
/* A non-blocking, close-on-exec UDP socket bound to bind_addr (NULL: any
 * address of family AF_INET6 with v4 mapped, port as given, 0 = any).
 * The descriptor, or an error naming the address. */
int netio_socket(const struct netio_addr *bind_addr, int family, midi_error *e);
unsigned netio_port(int fd);
/* Send one datagram to a (errors ignored: UDP, the session copes). */
void netio_send(int fd, const struct netio_addr *a, const uint8_t *d, size_t n);

#endif
