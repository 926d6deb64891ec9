/* SPDX-License-Identifier: MIT */
/* Decoding: vendor, family/model/stepping, brand, and each leaf's fields.
 * Field layouts from the Intel SDM vol. 2A (CPUID), the AMD APM vol. 3
 * appendix E, and Linux Documentation/virt/kvm/x86/cpuid.rst. */
#include <stdlib.h>
#include <string.h>

#include "cpuid-decode.h"
#include "strbuf.h"
#include "util.h"

static const struct {
	const char id[13];
	enum cpuid_vendor v;
} decode__vendors[] = {
	{ "GenuineIntel", CPUID_VENDOR_INTEL },
	{ "AuthenticAMD", CPUID_VENDOR_AMD },
	{ "HygonGenuine", CPUID_VENDOR_HYGON },
	{ "CentaurHauls", CPUID_VENDOR_CENTAUR },
	{ "  Shanghai  ", CPUID_VENDOR_ZHAOXIN },
};

enum cpuid_vendor cpuid_vendor_from_id(const char *id)
{
	for (size_t i = 0; i < ARRAY_SIZE(decode__vendors); i++)
		if (strcmp(id, decode__vendors[i].id) == 0)
			return decode__vendors[i].v;
	return CPUID_VENDOR_UNKNOWN;
}

const char *cpuid_vendor_id(enum cpuid_vendor v)
{
	for (size_t i = 0; i < ARRAY_SIZE(decode__vendors); i++)
		if (decode__vendors[i].v == v)
			return decode__vendors[i].id;
	return NULL;
}

const char *cpuid_vendor_name(enum cpuid_vendor v)
{
	switch (v) {
	case CPUID_VENDOR_INTEL: return "Intel";
	case CPUID_VENDOR_AMD: return "AMD";
	case CPUID_VENDOR_HYGON: return "Hygon";
	case CPUID_VENDOR_CENTAUR: return "Centaur";
	case CPUID_VENDOR_ZHAOXIN: return "Zhaoxin";
	default: return "unknown";
	}
}

/* 12 bytes of registers as text: printable ASCII kept, others '.'. */
static void regs_text(char out[13], uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t w[3] = { a, b, c };

	memcpy(out, w, 12);
	out[12] = 0;
	for (int i = 0; i < 12; i++)
		if (out[i] && ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e))
			out[i] = '.';
	/* a signature may end in NULs ("KVMKVMKVM\0\0\0") */
	for (int i = 0; i < 12; i++)
		if (!out[i]) {
			out[i] = 0;
			break;
		}
}

void cpuid_fms(uint32_t eax, enum cpuid_vendor v, unsigned *family,
	       unsigned *model, unsigned *stepping)
{
	unsigned bf = (eax >> 8) & 0xf, bm = (eax >> 4) & 0xf;
	unsigned ef = (eax >> 20) & 0xff, em = (eax >> 16) & 0xf;
	bool intel_like = v != CPUID_VENDOR_AMD && v != CPUID_VENDOR_HYGON;

	*family = bf == 0xf ? bf + ef : bf;
	/* The extended model counts from family 6 up for Intel and the
	 * Centaur/Zhaoxin line (Zhaoxin's family 7 YongFeng is model 0x5b),
	 * as Linux reads it; AMD uses it only with family 0xf. */
	*model = (bf == 0xf || (intel_like && bf >= 6)) ? (em << 4 | bm) : bm;
	*stepping = eax & 0xf;
}

/* The brand string of 0x80000002-4, leading and trailing blanks gone. */
static void decode__brand(const struct cpuid_data *c, char out[49])
{
	uint32_t w[12];

	out[0] = 0;
	if (cpuid_data_max(c, 0x80000000) < 0x80000004)
		return;
	for (uint32_t i = 0; i < 3; i++)
		for (int r = 0; r < 4; r++)
			w[i * 4 + r] = cpuid_data_reg(c, 0x80000002 + i, 0, (enum cpuid_reg)r);
	memcpy(out, w, 48);
	out[48] = 0;
	for (int i = 0; i < 48; i++)
		if (out[i] && ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e))
			out[i] = '?';
	char *t = strstrip(out);
	memmove(out, t, strlen(t) + 1);
}

void cpuid_summarize(const struct cpuid_data *c, struct cpuid_summary *ret)
{
	const struct cpuid_leaf *l0 = cpuid_data_get(c, 0, 0);
	struct cpuid_featureset fs;

	memset(ret, 0, sizeof(*ret));
	if (l0) {
		regs_text(ret->vendor_id, l0->r[CPUID_EBX], l0->r[CPUID_EDX],
			  l0->r[CPUID_ECX]);
		for (size_t i = 0; i < ARRAY_SIZE(decode__vendors); i++)
			if (memcmp(ret->vendor_id, decode__vendors[i].id, 12) == 0)
				ret->vendor = decode__vendors[i].v;
	}
	if (cpuid_data_valid(c, 1)) {
		uint32_t eax = cpuid_data_reg(c, 1, 0, CPUID_EAX);

		ret->base_family = (eax >> 8) & 0xf;
		ret->base_model = (eax >> 4) & 0xf;
		ret->ext_family = (eax >> 20) & 0xff;
		ret->ext_model = (eax >> 16) & 0xf;
		cpuid_fms(eax, ret->vendor, &ret->family, &ret->model, &ret->stepping);
		ret->hypervisor_bit = cpuid_data_reg(c, 1, 0, CPUID_ECX) >> 31 & 1;
	}
	ret->uarch = cpuid_uarch(ret->vendor, ret->family, ret->model, ret->stepping);
	decode__brand(c, ret->brand);
	if (cpuid_data_valid(c, 0x40000000)) {
		const struct cpuid_leaf *h = cpuid_data_get(c, 0x40000000, 0);

		regs_text(ret->hypervisor, h->r[CPUID_EBX], h->r[CPUID_ECX],
			  h->r[CPUID_EDX]);
	}
	cpuid_data_features(c, &fs);
	ret->nfeatures = cpuid_fset_count(&fs);
}

/* ---- the report ---- */

void cpuid_report_release(struct cpuid_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		for (size_t j = 0; j < r->v[i].nfields; j++)
			free(r->v[i].fields[j].s);
		free(r->v[i].fields);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static struct cpuid_field *add_field(struct cpuid_section *s, const char *key,
				     enum cpuid_field_type t)
{
	struct cpuid_field *f;

	s->fields = xgrow(s->fields, sizeof(*s->fields), s->nfields + 1, &s->afields);
	f = &s->fields[s->nfields++];
	memset(f, 0, sizeof(*f));
	f->key = key;
	f->type = t;
	return f;
}

static void fu(struct cpuid_section *s, const char *key, uint64_t v)
{
	add_field(s, key, CPUID_FIELD_UINT)->u = v;
}

static void fx(struct cpuid_section *s, const char *key, uint64_t v)
{
	add_field(s, key, CPUID_FIELD_HEX)->u = v;
}

static void fb(struct cpuid_section *s, const char *key, bool v)
{
	add_field(s, key, CPUID_FIELD_BOOL)->u = v;
}

static void fs_(struct cpuid_section *s, const char *key, const char *v)
{
	add_field(s, key, CPUID_FIELD_STR)->s = xstrdup(v);
}

static unsigned bits(uint32_t v, unsigned hi, unsigned lo)
{
	return (unsigned)((v >> lo) & ((hi - lo == 31) ? 0xffffffffu : ((1u << (hi - lo + 1)) - 1)));
}

/* The table features of this (leaf, subleaf), in table order. */
static void decode__features(const struct cpuid_data *c, const struct cpuid_leaf *l,
			     enum cpuid_names names, struct cpuid_section *s)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < cpuid_nfeatures; i++) {
		const struct cpuid_feature *f = &cpuid_features[i];
		const char *n;

		if (f->kind != CPUID_FEAT_CPUID || f->leaf != l->leaf ||
		    f->subleaf != l->subleaf || !cpuid_data_has(c, f))
			continue;
		n = cpuid_feature_name(f, names);
		if (!n)
			n = f->name;
		if (sb.len)
			strbuf_addc(&sb, ' ');
		strbuf_adds(&sb, n);
	}
	if (sb.len)
		add_field(s, "features", CPUID_FIELD_LIST)->s = strbuf_detach(&sb, NULL);
	strbuf_release(&sb);
}

static const char *const xsave_components[] = {
	"x87", "sse", "avx", "mpx_bndregs", "mpx_bndcsr", "avx512_opmask",
	"avx512_zmm_hi256", "avx512_hi16_zmm", "pt", "pkru", "pasid", "cet_u",
	"cet_s", "hdc", "uintr", "lbr", "hwp", "amx_tilecfg", "amx_tiledata",
	"apx",
};

static const char *topo_level(unsigned t)
{
	static const char *const n[] = { "invalid", "smt", "core", "module",
					  "tile", "die", "diegrp" };
	return t < ARRAY_SIZE(n) ? n[t] : "unknown";
}

static const char *cache_type(unsigned t)
{
	static const char *const n[] = { "null", "data", "instruction", "unified" };
	return t < ARRAY_SIZE(n) ? n[t] : "unknown";
}

/* Intel's 0x80000006 ecx[15:12] and AMD's L2/L3 associativity code. */
static const char *l2_assoc(unsigned code, enum cpuid_vendor v)
{
	static const char *const intel[16] = {
		"disabled", "direct mapped", "2-way", "reserved", "4-way",
		"reserved", "8-way", "see leaf 4", "16-way", "reserved",
		"32-way", "48-way", "64-way", "96-way", "128-way", "full" };
	static const char *const amd[16] = {
		"disabled", "direct mapped", "2-way", "3-way", "4-way", "6-way",
		"8-way", "reserved", "16-way", "see leaf 0x8000001d", "32-way",
		"48-way", "64-way", "96-way", "128-way", "full" };
	return (v == CPUID_VENDOR_AMD || v == CPUID_VENDOR_HYGON) ? amd[code & 15]
								 : intel[code & 15];
}

/* The named fields of one result; the section is already started. */
/*
 * Xen's leaves (xen/include/public/arch-x86/cpuid.h), at base + 1..5 where
 * base (0x40000000, or 0x40000100 when Viridian takes the first range)
 * answers "XenVMMXenVMM".  Returns true when l is one of them.
 */
static bool decode__xen(const struct cpuid_data *c, const struct cpuid_leaf *l,
			struct cpuid_section *s)
{
	uint32_t base = l->leaf & ~0xffu, a = l->r[0], b = l->r[1], cx = l->r[2], d = l->r[3];
	const struct cpuid_leaf *h = cpuid_data_get(c, base, 0);
	char sig[13];

	if ((base != 0x40000000 && base != 0x40000100) || l->leaf == base || !h)
		return false;
	regs_text(sig, h->r[1], h->r[2], h->r[3]);
	if (strcmp(sig, "XenVMMXenVMM") != 0)
		return false;
	switch (l->leaf - base) {
	case 1:
		s->title = "Xen version";
		fu(s, "xen_major", a >> 16);
		fu(s, "xen_minor", a & 0xffff);
		break;
	case 2:
		s->title = "Xen hypercall pages";
		fu(s, "hypercall_pages", a);
		fx(s, "hypercall_msr", b);
		break;
	case 3:
		s->title = "Xen time";
		if (l->subleaf != 0)
			break;
		fb(s, "vtsc", a & 1);
		fb(s, "tsc_stable", a >> 1 & 1);
		fb(s, "rdtscp", a >> 2 & 1);
		fu(s, "tsc_mode", b);
		fu(s, "guest_tsc_khz", cx);
		fu(s, "incarnation", d);
		break;
	case 4:
		s->title = "Xen HVM features";
		fb(s, "virtualized_apic", a & 1);
		fb(s, "virtualized_x2apic", a >> 1 & 1);
		fb(s, "iommu_mappings_ok", a >> 2 & 1);
		fb(s, "vcpu_id_present", a >> 3 & 1);
		fb(s, "domid_present", a >> 4 & 1);
		if (a >> 3 & 1)
			fu(s, "vcpu_id", b);
		if (a >> 4 & 1)
			fu(s, "domid", cx);
		break;
	case 5:
		s->title = "Xen PV features";
		fu(s, "machine_address_bits", b & 0xff);
		break;
	default:
		return false;
	}
	return true;
}

static void decode__leaf(const struct cpuid_data *c, const struct cpuid_summary *sum,
			 const struct cpuid_leaf *l, struct cpuid_section *s)
{
	uint32_t a = l->r[0], b = l->r[1], cx = l->r[2], d = l->r[3];
	bool amd = sum->vendor == CPUID_VENDOR_AMD || sum->vendor == CPUID_VENDOR_HYGON;
	char sig[13];

	switch (l->leaf) {
	case 0:
		s->title = "vendor and maximum basic leaf";
		fx(s, "max_leaf", a);
		fs_(s, "vendor_id", sum->vendor_id);
		fs_(s, "vendor", cpuid_vendor_name(sum->vendor));
		break;
	case 1: {
		unsigned fam, mod, step;

		s->title = "version and features";
		cpuid_fms(a, sum->vendor, &fam, &mod, &step);
		fu(s, "family", fam);
		fu(s, "model", mod);
		fu(s, "stepping", step);
		fu(s, "base_family", bits(a, 11, 8));
		fu(s, "base_model", bits(a, 7, 4));
		fu(s, "ext_family", bits(a, 27, 20));
		fu(s, "ext_model", bits(a, 19, 16));
		fu(s, "processor_type", bits(a, 13, 12));
		fu(s, "brand_index", bits(b, 7, 0));
		fu(s, "clflush_line_size", bits(b, 15, 8) * 8);
		fu(s, "max_logical_ids", bits(b, 23, 16));
		fu(s, "initial_apic_id", bits(b, 31, 24));
		break;
	}
	case 4:
		if (!bits(a, 4, 0) || amd) {
			s->title = "cache parameters (end of list)";
			break;
		}
		s->title = "cache parameters";
		fs_(s, "type", cache_type(bits(a, 4, 0)));
		fu(s, "level", bits(a, 7, 5));
		fb(s, "self_initializing", bits(a, 8, 8));
		fb(s, "fully_associative", bits(a, 9, 9));
		fu(s, "max_sharing_ids", bits(a, 25, 14) + 1);
		fu(s, "max_core_ids", bits(a, 31, 26) + 1);
		fu(s, "line_size", bits(b, 11, 0) + 1);
		fu(s, "partitions", bits(b, 21, 12) + 1);
		fu(s, "ways", bits(b, 31, 22) + 1);
		fu(s, "sets", (uint64_t)cx + 1);
		fu(s, "size", (uint64_t)(bits(b, 11, 0) + 1) * (bits(b, 21, 12) + 1) *
			      (bits(b, 31, 22) + 1) * ((uint64_t)cx + 1));
		fb(s, "wbinvd_not_inclusive", d & 1);
		fb(s, "inclusive", d >> 1 & 1);
		fb(s, "complex_indexing", d >> 2 & 1);
		break;
	case 6:
		s->title = "thermal and power management";
		fb(s, "digital_thermal_sensor", a & 1);
		fb(s, "turbo_boost", a >> 1 & 1);
		fb(s, "arat", a >> 2 & 1);
		fb(s, "hwp", a >> 7 & 1);
		fu(s, "thermal_thresholds", bits(b, 3, 0));
		fb(s, "hw_coordination_feedback", cx & 1);
		fb(s, "energy_perf_bias", cx >> 3 & 1);
		break;
	case 7:
		s->title = "structured extended features";
		if (l->subleaf == 0)
			fu(s, "max_subleaf", a);
		break;
	case 0xB:
	case 0x1F:
	case 0x80000026:
		s->title = l->leaf == 0xB ? "x2APIC topology" : "extended topology";
		fu(s, "level", bits(cx, 7, 0));
		fs_(s, "level_type", topo_level(bits(cx, 15, 8)));
		fu(s, "apic_id_shift", bits(a, 4, 0));
		fu(s, "logical_processors", bits(b, 15, 0));
		fx(s, "x2apic_id", d);
		break;
	case 0xD:
		s->title = "XSAVE state";
		if (l->subleaf == 0) {
			fx(s, "xcr0_supported", (uint64_t)d << 32 | a);
			fu(s, "size_enabled", b);
			fu(s, "size_max", cx);
		} else if (l->subleaf == 1) {
			fu(s, "size_xcr0_xss", b);
			fx(s, "xss_supported", (uint64_t)d << 32 | cx);
		} else {
			fs_(s, "component", l->subleaf < ARRAY_SIZE(xsave_components)
					    ? xsave_components[l->subleaf] : "unknown");
			fu(s, "size", a);
			fu(s, "offset", b);
			fb(s, "supervisor", cx & 1);
			fb(s, "aligned_64", cx >> 1 & 1);
			fb(s, "xfd", cx >> 2 & 1);
		}
		break;
	case 0x40000000:
	case 0x40000100:
		s->title = "hypervisor";
		regs_text(sig, b, cx, d);
		fs_(s, "signature", sig);
		fx(s, "max_leaf", a);
		break;
	case 0x80000000:
		s->title = "maximum extended leaf";
		fx(s, "max_leaf", a);
		break;
	case 0x80000001:
		s->title = "extended features";
		if (amd)
			fu(s, "package_type", bits(b, 31, 28));
		break;
	case 0x80000002:
	case 0x80000003:
	case 0x80000004:
		s->title = "brand string";
		if (l->leaf == 0x80000002)
			fs_(s, "brand", sum->brand);
		break;
	case 0x80000005:
		if (!amd)
			break;
		s->title = "L1 cache and TLB";
		fu(s, "l1d_size_kb", bits(cx, 31, 24));
		fu(s, "l1d_ways", bits(cx, 23, 16));
		fu(s, "l1d_line_size", bits(cx, 7, 0));
		fu(s, "l1i_size_kb", bits(d, 31, 24));
		fu(s, "l1i_ways", bits(d, 23, 16));
		fu(s, "l1i_line_size", bits(d, 7, 0));
		break;
	case 0x80000006:
		s->title = "L2/L3 cache";
		fu(s, "l2_size_kb", bits(cx, 31, 16));
		fs_(s, "l2_assoc", l2_assoc(bits(cx, 15, 12), sum->vendor));
		fu(s, "l2_line_size", bits(cx, 7, 0));
		if (amd) {
			fu(s, "l3_size_kb", (uint64_t)bits(d, 31, 18) * 512);
			fs_(s, "l3_assoc", l2_assoc(bits(d, 15, 12), sum->vendor));
			fu(s, "l3_line_size", bits(d, 7, 0));
		}
		break;
	case 0x80000007:
		s->title = "power management and RAS";
		fb(s, "invariant_tsc", d >> 8 & 1);
		break;
	case 0x80000008:
		s->title = "address sizes";
		fu(s, "physical_address_bits", bits(a, 7, 0));
		fu(s, "linear_address_bits", bits(a, 15, 8));
		fu(s, "guest_physical_address_bits", bits(a, 23, 16));
		if (amd) {
			fu(s, "threads", bits(cx, 7, 0) + 1);
			fu(s, "apic_id_size", bits(cx, 15, 12));
		}
		break;
	case 0x8000001E:
		if (!amd)
			break;
		s->title = "AMD topology";
		fx(s, "extended_apic_id", a);
		fu(s, "core_id", bits(b, 7, 0));
		fu(s, "threads_per_core", bits(b, 15, 8) + 1);
		fu(s, "node_id", bits(cx, 7, 0));
		fu(s, "nodes_per_package", bits(cx, 10, 8) + 1);
		break;
	default:
		break;
	}
}

void cpuid_decode(const struct cpuid_data *c, enum cpuid_names names,
		  struct cpuid_report *ret)
{
	struct cpuid_summary sum;

	memset(ret, 0, sizeof(*ret));
	cpuid_summarize(c, &sum);
	for (size_t i = 0; i < c->nleaves; i++) {
		const struct cpuid_leaf *l = &c->leaves[i];
		struct cpuid_section *s;

		if (!cpuid_data_valid(c, l->leaf))
			continue;
		ret->v = xgrow(ret->v, sizeof(*ret->v), ret->n + 1, &ret->alloc);
		s = &ret->v[ret->n++];
		memset(s, 0, sizeof(*s));
		s->leaf = l->leaf;
		s->subleaf = l->subleaf;
		memcpy(s->r, l->r, sizeof(s->r));
		if (!decode__xen(c, l, s))
			decode__leaf(c, &sum, l, s);
		decode__features(c, l, names, s);
	}
}
