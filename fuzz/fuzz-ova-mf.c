/* SPDX-License-Identifier: MIT */
/* libFuzzer target: OVA manifests (NAME.mf), then a check of each entry
 * against a digest of the input itself. */
#include <stdint.h>

#include "ova-mf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_diags d = HV_DIAGS_INIT;
	struct ova_mf mf = { 0 };

	if (ova_mf_parse((const char *)data, size, "fuzz.mf", &mf, &d) == 0) {
		for (size_t i = 0; i < mf.n; i++) {
			struct mf_hash h;
			char hex[MF_HEX_MAX];

			mf_hash_init(&h, mf.v[i].algo);
			mf_hash_update(&h, data, size);
			mf_hash_hex(&h, hex);
			(void)ova_mf_verify(&mf.v[i], hex, &d);
		}
		(void)ova_mf_all_checked(&mf, "fuzz.mf", &d);
	}
	ova_mf_release(&mf);
	hv_diags_release(&d);
	return 0;
}
