/* netio.c: addresses and the UDP socket of the net transport (netio.h). */
#include "net/netio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int netio_resolve(const char *spec, unsigned default_port, struct netio_addr *out, midi_error *e)
{
	char host[256], port[16];
	const char *p = spec, *colon;
	memset(out, 0, sizeof *out);
	if (*p == '[') { /* [v6]:port */
		const char *end = strchr(p, ']');
		if (!end || (size_t)(end - p - 1) >= sizeof host)
			return midi_error_set(e, MIDI_ERR_INPUT, "bad address \"%.80s\": no closing ]", spec);
		memcpy(host, p + 1, (size_t)(end - p - 1));
		host[end - p - 1] = '\0';
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] && !colon)
			return midi_error_set(e, MIDI_ERR_INPUT, "bad address \"%.80s\"", spec);
	} else {
		colon = strrchr(p, ':');
		if (colon && strchr(p, ':') != colon)
			colon = NULL; /* a bare IPv6 address */
		size_t hl = colon ? (size_t)(colon - p) : strlen(p);
		if (hl >= sizeof host)
			return midi_error_set(e, MIDI_ERR_INPUT, "bad address \"%.80s\": too long", spec);
		memcpy(host, p, hl);
		host[hl] = '\0';
	}
	unsigned long pn = default_port;
	if (colon) {
		char *end;
		errno = 0;
		pn = strtoul(colon + 1, &end, 10);
		if (!colon[1] || *end || errno || pn > 65535 || (pn == 0 && default_port))
			return midi_error_set(e, MIDI_ERR_INPUT,
					      "bad port in \"%.80s\": use 1 to 65535", spec);
	}
	if (!host[0])
		return midi_error_set(e, MIDI_ERR_INPUT, "bad address \"%.80s\": no host", spec);
	snprintf(port, sizeof port, "%lu", pn);
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM}, *res = NULL;
	int r = getaddrinfo(host, port, &hints, &res);
	if (r != 0 || !res)
		return midi_error_set(e, MIDI_ERR_NOTFOUND, "cannot resolve \"%.80s\": %s", host,
				      gai_strerror(r));
	memcpy(&out->sa, res->ai_addr, res->ai_addrlen);
	out->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

void netio_format(const struct netio_addr *a, char *buf, size_t n)
{
	char h[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (a->sa.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)&a->sa;
		inet_ntop(AF_INET, &s->sin_addr, h, sizeof h);
		port = ntohs(s->sin_port);
		snprintf(buf, n, "%s:%u", h, port);
	} else if (a->sa.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)&a->sa;
		inet_ntop(AF_INET6, &s->sin6_addr, h, sizeof h);
		port = ntohs(s->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr))
			snprintf(buf, n, "%s:%u", h + 7, port);
		else
			snprintf(buf, n, "[%s]:%u", h, port);
	} else {
		snprintf(buf, n, "?");
	}
}

int netio_same(const struct netio_addr *a, const struct netio_addr *b)
{
	return a->len == b->len && memcmp(&a->sa, &b->sa, a->len) == 0;
}

int netio_socket(const struct netio_addr *bind_addr, int family, midi_error *e)
{
	int fam = bind_addr ? bind_addr->sa.ss_family : family;
	int fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return midi_error_sys(e, errno, "cannot open a UDP socket");
	int big = 1 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	if (bind_addr && bind(fd, (const struct sockaddr *)&bind_addr->sa, bind_addr->len) < 0) {
		int err = errno;
		char where[80];
		netio_format(bind_addr, where, sizeof where);
		close(fd);
		return midi_error_sys(e, err, "cannot listen on UDP %s", where);
	}
	return fd;
}

unsigned netio_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

void netio_send(int fd, const struct netio_addr *a, const uint8_t *d, size_t n)
{
	(void)sendto(fd, d, n, MSG_DONTWAIT, (const struct sockaddr *)&a->sa, a->len);
}
