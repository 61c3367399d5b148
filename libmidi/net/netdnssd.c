/* netdnssd.c: instance names, TXT strings, ids and slot addresses of
 * DNS-SD discovery (netdnssd.h). No avahi here: the unit tests run it
 * wherever the net transport is built. */
#include "net/netdnssd.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ADDR_MARK 0x444e5353u /* "DNSS" */

/* The length of s cut to at most max bytes, not inside a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--; /* s[n] continues a sequence: cut before its lead byte */
	return n;
}

void netdnssd_instance(const char *name, char *out, size_t n)
{
	size_t len = utf8_cut(name ? name : "", NETDNSSD_INSTANCE_MAX);
	size_t k = 0;
	for (size_t j = 0; j < len && k + 1 < n; j++) {
		unsigned char c = (unsigned char)name[j];
		out[k++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	while (k > 0 && out[k - 1] == ' ')
		k--;
	size_t start = 0;
	while (start < k && out[start] == ' ')
		start++;
	memmove(out, out + start, k - start);
	k -= start;
	out[k] = '\0';
	if (!k)
		snprintf(out, n, "MIDI");
}

void netdnssd_txt(const char *name, const char *piid, char *txt_name, char *txt_piid, size_t n)
{
	name = name ? name : "";
	snprintf(txt_name, n, "%s=%.*s", NETDNSSD_TXT_NAME,
		 (int)utf8_cut(name, NETDNSSD_NAME_MAX), name);
	size_t k = (size_t)snprintf(txt_piid, n, "%s=", NETDNSSD_TXT_PIID);
	size_t kept = 0;
	for (const char *s = piid ? piid : ""; *s && kept < NETDNSSD_PIID_MAX && k + 1 < n; s++)
		if (*s >= 32 && *s <= 126) {
			txt_piid[k++] = *s;
			kept++;
		}
	txt_piid[k] = '\0';
}

int netdnssd_txt_get(const char *txt, size_t len, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);
	if (len <= kl || txt[kl] != '=' || strncasecmp(txt, key, kl) != 0)
		return 0;
	size_t k = 0;
	for (size_t j = kl + 1; j < len && k + 1 < n; j++) {
		unsigned char c = (unsigned char)txt[j];
		out[k++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[k] = '\0';
	return 1;
}

/* FNV-1a, folded to 16 bits. */
static unsigned hash16(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return (h >> 16 ^ h) & 0xFFFFu;
}

void netdnssd_id(const char *instance, int hashed, char *id, size_t n)
{
	char part[NETDNSSD_INSTANCE_MAX + 1];
	size_t k = 0;
	for (const char *s = instance; *s && k < NETDNSSD_INSTANCE_MAX; s++) {
		char c = *s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-')
			part[k++] = c;
		else
			part[k++] = c == ' ' || c == '\t' ? '-' : '_';
	}
	part[k] = '\0';
	if (!k)
		snprintf(part, sizeof part, "_");
	if (!hashed && strlen(part) <= NETDNSSD_ID_NAME_MAX)
		snprintf(id, n, "net:%s", part);
	else
		snprintf(id, n, "net:%.45s-%04x", part, hash16(instance));
}

struct stored {
	uint32_t mark;
	uint16_t family, port;
	uint32_t scope;
	uint8_t addr[16];
};

void netdnssd_addr_store(uint64_t tpriv[8], const struct netio_addr *a)
{
	struct stored s = {.mark = ADDR_MARK, .family = a->sa.ss_family};
	if (a->sa.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&a->sa;
		s.port = in->sin_port;
		memcpy(s.addr, &in->sin_addr, 4);
	} else {
		const struct sockaddr_in6 *in = (const struct sockaddr_in6 *)&a->sa;
		s.port = in->sin6_port;
		s.scope = in->sin6_scope_id;
		memcpy(s.addr, &in->sin6_addr, 16);
	}
	_Static_assert(sizeof s <= 8 * sizeof(uint64_t), "fits tpriv");
	memset(tpriv, 0, 8 * sizeof *tpriv);
	memcpy(tpriv, &s, sizeof s);
}

int netdnssd_addr_load(const uint64_t tpriv[8], struct netio_addr *a)
{
	struct stored s;
	memcpy(&s, tpriv, sizeof s);
	if (s.mark != ADDR_MARK || (s.family != AF_INET && s.family != AF_INET6))
		return 0;
	memset(a, 0, sizeof *a);
	if (s.family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&a->sa;
		in->sin_family = AF_INET;
		in->sin_port = s.port;
		memcpy(&in->sin_addr, s.addr, 4);
		a->len = sizeof *in;
	} else {
		struct sockaddr_in6 *in = (struct sockaddr_in6 *)&a->sa;
		in->sin6_family = AF_INET6;
		in->sin6_port = s.port;
		in->sin6_scope_id = s.scope;
		memcpy(&in->sin6_addr, s.addr, 16);
		a->len = sizeof *in;
	}
	return 1;
}
