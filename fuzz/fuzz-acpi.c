/* SPDX-License-Identifier: MIT */
/* libFuzzer target: acpidump text reader and every ACPI table decoder. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"

/* Runs every decoder over one table; the diagnostics are discarded. */
static void decode_all(const uint8_t *p, size_t len, struct hv_diags *d)
{
	struct acpi_srat srat;
	struct acpi_slit slit;
	struct acpi_mcfg mcfg;
	struct acpi_madt madt;
	struct acpi_hmat hmat;

	(void)acpi_check_header(p, len, NULL, d);
	(void)acpi_parse_srat(p, len, &srat, d);
	acpi_srat_release(&srat);
	(void)acpi_parse_slit(p, len, &slit, d);
	acpi_slit_release(&slit);
	(void)acpi_parse_mcfg(p, len, &mcfg, d);
	acpi_mcfg_release(&mcfg);
	(void)acpi_parse_madt(p, len, &madt, d);
	acpi_madt_release(&madt);
	(void)acpi_parse_hmat(p, len, &hmat, d);
	acpi_hmat_release(&hmat);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const sigs[] = { "SRAT", "SLIT", "MCFG", "APIC", "HMAT" };
	struct hv_diags d = HV_DIAGS_INIT;
	struct acpi_tables t;
	uint8_t *copy;

	/* As acpidump text, then each table found in it. */
	if (acpi_parse_acpidump_text((const char *)data, size, &t, &d) == 0) {
		for (size_t i = 0; i < t.n; i++)
			decode_all(t.v[i].data, t.v[i].len, &d);
		acpi_tables_release(&t);
	}
	hv_diags_release(&d);

	/* As a binary table, as is and under each signature, so that random
	 * inputs get past the signature check. */
	decode_all(data, size, &d);
	hv_diags_release(&d);
	if (size < 4)
		return 0;
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		memcpy(copy, sigs[i], 4);
		decode_all(copy, size, &d);
		hv_diags_release(&d);
	}
	free(copy);
	return 0;
}
