/* hex.h: the one hexadecimal digit decoder every parser shares (header-only: hot paths inline it).
 */
#ifndef OBI_HEX_H
#define OBI_HEX_H

/* The value of one hex digit (either case), or -1. */
static inline int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif /* OBI_HEX_H */
