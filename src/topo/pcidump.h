/* SPDX-License-Identifier: MIT */
/* Reader of lspci -x/-xxx/-xxxx text dumps (as lspci -F reads them). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct pcidump_dev {
	unsigned domain, bus, dev, func;
	uint8_t *cfg;		/* owned; len bytes, gaps between hex lines are zero */
	size_t len;		/* 1..4096: one past the last byte dumped */
	char *text;		/* owned; the address line's description, or NULL */
};

struct pcidump {
	struct pcidump_dev *v;	/* owned, in the order of the dump */
	size_t n;
};

/*
 * Parses the text[0, len) of `lspci [-D] [-v...] -x[xx[x]]` output.  A
 * device starts at a line beginning with "bb:dd.f" or "dddd:bb:dd.f",
 * followed by a space or the end of the line; hex lines "00: 86 80 ..."
 * follow, possibly after indented -v lines; a blank line ends the device.
 * Other lines are ignored.  Hex offsets must be multiples of 16, ascending
 * within a device and below 4096.  A device with no hex lines is dropped
 * with a warning.
 *
 * Returns 0 and fills *ret (release it with pcidump_release()), or
 * -EINVAL with an error naming the line number (no devices at all is an
 * error too), or -ENOMEM.  *ret is only written on success.
 */
int pcidump_parse(const char *text, size_t len, struct pcidump *ret,
		  struct hv_diags *d);

/* Frees what pcidump_parse() filled in and empties *p; accepts NULL. */
void pcidump_release(struct pcidump *p);

/*
 * True when text looks like an lspci -x dump: within its first lines, an
 * address line followed by a "00: " line of 16 hex bytes.
 */
bool pcidump_sniff(const char *text, size_t len);
