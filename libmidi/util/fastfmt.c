/* fastfmt.c: fastfmt, the printers' small printf (see fastfmt.h). */
#include "util/fastfmt.h"

#include <string.h>

static const char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";

int fastfmt(char *out, size_t cap, const char *fmt, va_list ap)
{
	size_t o = 0;
	if (cap == 0)
		return -1;
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') { /* a run of literal text at once */
			const char *e = strchrnul(f, '%');
			size_t k = (size_t)(e - f);
			if (o + k >= cap)
				return -1;
			memcpy(out + o, f, k);
			o += k;
			f = e - 1;
			continue;
		}
		f++;
		int zero = 0, plus = 0, width = 0, lng = 0;
		for (;; f++) {
			if (*f == '0')
				zero = 1;
			else if (*f == '+')
				plus = 1;
			else
				break;
		}
		while (*f >= '0' && *f <= '9')
			width = width * 10 + (*f++ - '0');
		if (width > 64)
			return -1;
		if (*f == 'l') {
			lng = 1;
			if (*++f == 'l') {
				lng = 2;
				f++;
			}
		} else if (*f == 'z') {
			lng = 3;
			f++;
		}
		char num[96];
		size_t n = 0;          /* digits (or text) in num, written backwards */
		const char *text = NULL;
		size_t tlen = 0;
		int neg = 0, isnum = 1;
		unsigned long long v;
		switch (*f) {
		case '%':
			if (o + 1 >= cap)
				return -1;
			out[o++] = '%';
			continue;
		case 'c':
			if (lng)
				return -1;
			num[0] = (char)va_arg(ap, int);
			text = num;
			tlen = 1;
			isnum = 0;
			break;
		case 's':
			if (lng)
				return -1;
			text = va_arg(ap, const char *);
			if (!text)
				return -1;
			tlen = strlen(text);
			isnum = 0;
			break;
		case 'd':
		case 'i': {
			long long s = lng == 2 ? va_arg(ap, long long)
				      : lng == 1 ? va_arg(ap, long)
				      : lng == 3 ? (long long)va_arg(ap, size_t)
						 : va_arg(ap, int);
			neg = s < 0;
			v = neg ? 0ull - (unsigned long long)s : (unsigned long long)s;
			do {
				num[n++] = (char)('0' + v % 10);
				v /= 10;
			} while (v);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			v = lng == 2 ? va_arg(ap, unsigned long long)
			    : lng == 1 ? va_arg(ap, unsigned long)
			    : lng == 3 ? va_arg(ap, size_t)
				       : va_arg(ap, unsigned);
			if (*f == 'u') {
				do {
					num[n++] = (char)('0' + v % 10);
					v /= 10;
				} while (v);
			} else {
				const char *dg = *f == 'x' ? lower : upper;
				do {
					num[n++] = dg[v & 15];
					v >>= 4;
				} while (v);
			}
			break;
		}
		default:
			return -1; /* precision, '-', '#', ' ', '*', floats...: vsnprintf */
		}
		if (!isnum) {
			if (plus || zero)
				return -1;
			size_t pad = (size_t)width > tlen ? (size_t)width - tlen : 0;
			if (o + pad + tlen + 1 > cap)
				return -1;
			memset(out + o, ' ', pad);
			o += pad;
			memcpy(out + o, text, tlen);
			o += tlen;
			continue;
		}
		if (plus && *f != 'd' && *f != 'i')
			return -1;
		char sign = neg ? '-' : plus ? '+' : 0;
		size_t len = n + (sign != 0);
		size_t pad = (size_t)width > len ? (size_t)width - len : 0;
		if (o + pad + len + 1 > cap)
			return -1;
		if (!zero) {
			memset(out + o, ' ', pad);
			o += pad;
		}
		if (sign)
			out[o++] = sign;
		if (zero) {
			memset(out + o, '0', pad);
			o += pad;
		}
		while (n)
			out[o++] = num[--n];
	}
	out[o] = 0;
	return (int)o;
}
