/* netdnssd.h: what DNS-SD (_midi2._udp) advertising and browsing share
 * that needs no avahi (netdnssd.c, unit-tested): the service instance
 * name and TXT records a host advertises (Network MIDI 2.0, M2-124-UM:
 * TXT "UMPEndpointName=" at most 98 bytes of UTF-8 and
 * "ProductInstanceId=" at most 42 ASCII characters 32..126), the stable
 * endpoint id of a discovered service (net:NAME from its instance name),
 * and the service's address kept in the endpoint's slot. */
#ifndef MIDI_NET_NETDNSSD_H
#define MIDI_NET_NETDNSSD_H

#include <stddef.h>
#include <stdint.h>

#include "net/netio.h"

#define NETDNSSD_TYPE "_midi2._udp"
#define NETDNSSD_INSTANCE_MAX 63 /* bytes: one DNS label */
#define NETDNSSD_TXT_NAME "UMPEndpointName"
#define NETDNSSD_TXT_PIID "ProductInstanceId"
#define NETDNSSD_NAME_MAX 98
#define NETDNSSD_PIID_MAX 42
/* An id's name part: longer ones are cut and end in a hash of the whole. */
#define NETDNSSD_ID_NAME_MAX 50

/* The service instance name for a host of UMP Endpoint Name name: the
 * name cut to 63 bytes on a UTF-8 character boundary, control characters
 * as spaces ("MIDI" if nothing is left). out has room for 64 bytes. */
void netdnssd_instance(const char *name, char *out, size_t n);
/* The two TXT strings: "UMPEndpointName=NAME" (cut to 98 bytes on a
 * character boundary) and "ProductInstanceId=PIID" (characters outside
 * 32..126 left out, cut to 42). Each out has room for 128 bytes. */
void netdnssd_txt(const char *name, const char *piid, char *txt_name, char *txt_piid, size_t n);
/* The value of key in one TXT string of len bytes ("key=value", the key
 * compared without case, RFC 6763 6.4) into out, made printable; 1 when
 * the string is that key's, else 0. */
int netdnssd_txt_get(const char *txt, size_t len, const char *key, char *out, size_t n);
/* The endpoint id of the service of that instance name: "net:" and the
 * name with letters, digits, '.', '_' and '-' kept, blanks as '-', other
 * bytes '_'; longer than NETDNSSD_ID_NAME_MAX, or hashed set: cut to 45
 * and "-" and 4 hex digits of a hash of the whole instance name (another
 * service took the plain id). Stable: the same name, the same id. */
void netdnssd_id(const char *instance, int hashed, char *id, size_t n);

/* The address of a discovered service in an endpoint slot's tpriv (8
 * words): stored with a mark, so slots of other endpoints load nothing. */
void netdnssd_addr_store(uint64_t tpriv[8], const struct netio_addr *a);
/* 1 and *a when tpriv holds a discovered service's address, else 0. */
int netdnssd_addr_load(const uint64_t tpriv[8], struct netio_addr *a);

#endif
