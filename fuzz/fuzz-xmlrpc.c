/* SPDX-License-Identifier: MIT */
/* libFuzzer target: XenAPI XML-RPC responses (what push and pull read
 * from a server), asked for as a reference and as a record. */
#include <stdint.h>
#include <stdlib.h>

#include "xapi-client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct xrec rec = XREC_INIT;
	char *ref = NULL;

	(void)xapi_parse_response((const char *)data, size, "fuzz", &d, &ref, NULL);
	free(ref);
	(void)xapi_parse_response((const char *)data, size, "fuzz", &d, NULL, &rec);
	xrec_release(&rec);
	hv_diags_release(&d);
	return 0;
}
