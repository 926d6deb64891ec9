/* SPDX-License-Identifier: MIT */
/* libFuzzer target: OVF descriptors (libxml2, the XAPI records in
 * VirtualSystemOtherConfigurationData), then the xl.cfg written from
 * what was read. */
#include <stdint.h>
#include <stdlib.h>

#include "ovf.h"
#include "xlcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct strbuf cfg = STRBUF_INIT;
	struct mv_vm vm;
	char **hrefs = NULL;
	struct ovf_file *files = NULL;

	mv_vm_init(&vm);
	if (ovf_parse((const char *)data, size, "fuzz.ovf", &vm, &hrefs, &files, &d) == 0) {
		(void)xlcfg_write(&vm, NULL, NULL, &cfg, &d);
		for (size_t i = 0; i < vm.ndisks; i++)
			free(hrefs[i]);
		free(hrefs);
		ovf_files_free(files, vm.ndisks);
	}
	strbuf_release(&cfg);
	mv_vm_release(&vm);
	hv_diags_release(&d);
	return 0;
}
