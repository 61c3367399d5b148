/* netavahi_lib.c: avahi-client, loaded when DNS-SD is first used
 * (netavahi.h, `av`). Linking it would load avahi-client, libdbus,
 * libsystemd and what they need (gcrypt, lz4, zstd, lzma...) into every
 * program of the toolkit at every start, about 1.6 ms each time here, for
 * the net transport's agent and hosts that advertise, which are the only
 * users. The headers (libavahi-client-dev) still give the types and
 * prototypes: every pointer here has the type of the function it holds. */
#include "net/netavahi.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#define AVAHI_CLIENT_SONAME "libavahi-client.so.3"

struct netavahi_lib av;

static char why[300];
static int loaded = -1; /* -1 not tried, 0 failed, 1 loaded */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static int load(const char *soname)
{
	/* Symbols of libavahi-common come through libavahi-client's handle
	 * (dlsym looks in the object's dependencies too). */
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *d = dlerror();
		snprintf(why, sizeof why, "cannot load %s (avahi-client): %s", soname,
			 d ? d : "not found");
		return 0;
	}
	struct {
		const char *name;
		void **fn;
	} sym[] = {
#define SYM(f) {"avahi_" #f, (void **)&av.f},
		NETAVAHI_FNS(SYM)
#undef SYM
	};
	for (size_t i = 0; i < sizeof sym / sizeof sym[0]; i++) {
		*sym[i].fn = dlsym(h, sym[i].name);
		if (!*sym[i].fn) {
			snprintf(why, sizeof why, "%s has no %s", soname, sym[i].name);
			dlclose(h);
			return 0;
		}
	}
	return 1; /* never unloaded: avahi and libdbus keep state of their own */
}

int netavahi_load_from(const char *soname)
{
	pthread_mutex_lock(&mu);
	if (loaded < 0)
		loaded = load(soname ? soname : AVAHI_CLIENT_SONAME);
	int r = loaded;
	pthread_mutex_unlock(&mu);
	return r ? 0 : -1;
}

int netavahi_load(void)
{
	return netavahi_load_from(NULL);
}

const char *netavahi_load_error(void)
{
	return why;
}
