/* SPDX-License-Identifier: MIT */
/* Unit tests for hwloc's puN reader and the CPUID topology decoder. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cpuid-source.h"
#include "cpuid-topo.h"

#define PU_LINE(leaf, sub, a, b, c, d) "5 " leaf " 0 " sub " 0 => " a " " b " " c " " d "\n"

static void test_parse(void)
{
	static const char good[] =
		"# mask e[abcd]x => e[abcd]x\n"
		"1 0 0 0 0 => d 756e6547 6c65746e 49656e69\n"
		"5 4 0 1 0 => 1c004122 1c0003f 3f 0\r\n"
		"not a result\n"
		"1 1 0 0 0 => 806e9 100800 -7ffafbff bfebfbff\n";
	struct hv_diags d = HV_DIAGS_INIT;
	struct cpuid_data c;

	CHECK(cpuid_looks_like_hwloc(good, sizeof(good) - 1));
	CHECK(!cpuid_looks_like_hwloc("# hvkit cpuid dump 1\n", 21));
	CHECK_INT(cpuid_parse_hwloc(good, sizeof(good) - 1, "pu0", &c, &d), 0);
	CHECK_INT(c.nleaves, 2);
	CHECK_INT(cpuid_data_reg(&c, 0, 0, CPUID_EBX), 0x756e6547);
	CHECK_INT(cpuid_data_reg(&c, 4, 1, CPUID_EAX), 0x1c004122);
	/* Two bad lines (one with a sign), one warning naming the first. */
	CHECK_INT(d.n, 1);
	CHECK_STR(d.n ? d.v[0].msg : "", "pu0:4: 2 lines not of the form 'MASK EAX EBX ECX EDX => EAX EBX ECX EDX', ignoring");
	cpuid_data_release(&c);
	hv_diags_release(&d);

	CHECK_INT(cpuid_parse_hwloc("# only\n\n", 8, "pu1", &c, &d), -EINVAL);
	CHECK_STR(d.n ? d.v[d.n - 1].msg : "", "pu1: no CPUID result (lines 'MASK EAX EBX ECX EDX => EAX EBX ECX EDX')");
	hv_diags_release(&d);
}

/* Two PUs of one Intel core that claim one APIC id: CPUID is refused. */
static void test_duplicate_apic(void)
{
	static const char pu[] =
		"1 0 0 0 0 => d 756e6547 6c65746e 49656e69\n"
		"1 1 0 0 0 => 206a7 00100800 0 178bfbff\n";
	struct cpuid_data c[2];
	struct topo_cpuid_pu pus[2];
	struct hv_diags d = HV_DIAGS_INIT;
	struct topo_obj **objs = NULL;
	size_t n = 0;

	for (unsigned i = 0; i < 2; i++) {
		CHECK_INT(cpuid_parse_hwloc(pu, sizeof(pu) - 1, "pu", &c[i], NULL), 0);
		pus[i] = (struct topo_cpuid_pu){ i, &c[i] };
	}
	CHECK_INT(topo_cpuid_decode(pus, 2, &objs, &n, &d), -EINVAL);
	CHECK_STR(d.n ? d.v[0].msg : "", "CPUs 0 and 1 have the same APIC id 0x0: CPUID does not tell them apart");
	CHECK(objs == NULL && n == 0);
	hv_diags_release(&d);

	/* One PU alone: a package and the PU; without leaf 4 no core id
	 * and no caches (hwloc makes no Core either). */
	CHECK_INT(topo_cpuid_decode(pus, 1, &objs, &n, &d), 0);
	CHECK_INT(n, 2);
	CHECK(n == 2 && objs[0]->type == TOPO_PACKAGE && objs[1]->type == TOPO_PU);
	for (size_t i = 0; i < n; i++)
		topo_obj_free(objs[i]);
	free(objs);
	CHECK_INT(topo_cpuid_decode(pus, 0, &objs, &n, &d), -EINVAL);
	hv_diags_release(&d);
	for (unsigned i = 0; i < 2; i++)
		cpuid_data_release(&c[i]);
}

int main(void)
{
	test_parse();
	test_duplicate_apic();
	return CHECK_DONE();
}
