/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the SMBIOS dump, entry point and table decoders. */
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "smbios.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct smbios_info info;
	struct smbios_ep ep;

	/* As a dmidecode --dump-bin file */
	if (smbios_parse_dump(data, size, &info, &d) == 0)
		smbios_info_drop_serials(&info);
	smbios_info_release(&info);

	/* As a bare entry point, then as a table, with and without a version */
	(void)smbios_parse_entry_point(data, size, &ep, &d);
	(void)smbios_parse_table(data, size, 0, &info, &d);
	smbios_info_release(&info);
	(void)smbios_parse_table(data, size, 0x0205, &info, &d);
	smbios_info_release(&info);

	hv_diags_release(&d);
	return 0;
}
