/* SPDX-License-Identifier: MIT */
/* Decoding CPUID values: the summary and the named fields of each leaf. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpuid-data.h"
#include "cpuid-features.h"

enum cpuid_vendor {
	CPUID_VENDOR_UNKNOWN,
	CPUID_VENDOR_INTEL,
	CPUID_VENDOR_AMD,
	CPUID_VENDOR_HYGON,
	CPUID_VENDOR_CENTAUR,
	CPUID_VENDOR_ZHAOXIN,
};

/* "Intel", "AMD", "Hygon", "Centaur", "Zhaoxin" or "unknown". */
const char *cpuid_vendor_name(enum cpuid_vendor v);
/* The vendor of a 12-character vendor id ("GenuineIntel"); UNKNOWN if none. */
enum cpuid_vendor cpuid_vendor_from_id(const char *id);
/* The vendor's 12-character id ("GenuineIntel"), or NULL for UNKNOWN. */
const char *cpuid_vendor_id(enum cpuid_vendor v);

/* What identifies a CPU.  Plain values: no ownership. */
struct cpuid_summary {
	char vendor_id[13];		/* "GenuineIntel"; "" when absent */
	enum cpuid_vendor vendor;
	unsigned family, model, stepping;	/* as the SDM/APM compose them */
	unsigned base_family, base_model, ext_family, ext_model;
	char brand[49];			/* trimmed; "" when absent */
	const char *uarch;		/* static; NULL when not in our table */
	bool hypervisor_bit;		/* CPUID.1:ECX[31] */
	char hypervisor[13];		/* signature at 0x40000000; "" if none */
	size_t nfeatures;		/* table features present */
};

void cpuid_summarize(const struct cpuid_data *c, struct cpuid_summary *ret);

/* Family, model and stepping from CPUID.1:EAX.  The extended family is
 * added when the base family is 0xF; the extended model is prepended when
 * the base family is 6 or 0xF (Intel) or 0xF (AMD, Hygon). */
void cpuid_fms(uint32_t eax, enum cpuid_vendor v, unsigned *family,
	       unsigned *model, unsigned *stepping);

/* The microarchitecture of a family/model/stepping, or NULL (uarch.c). */
const char *cpuid_uarch(enum cpuid_vendor v, unsigned family, unsigned model,
			unsigned stepping);

/*
 * The decoded leaves: one section per stored (leaf, subleaf) within its
 * range's maximum, in order, each with named fields.  Field keys are
 * static snake_case strings (documented in hvkit-cpuid(1)); string values
 * are owned by the report.  CPUID_FIELD_LIST is a space-separated list.
 */
enum cpuid_field_type {
	CPUID_FIELD_UINT,
	CPUID_FIELD_HEX,
	CPUID_FIELD_BOOL,
	CPUID_FIELD_STR,
	CPUID_FIELD_LIST,
};

struct cpuid_field {
	const char *key;
	enum cpuid_field_type type;
	uint64_t u;		/* UINT, HEX, BOOL */
	char *s;		/* STR, LIST */
};

struct cpuid_section {
	uint32_t leaf, subleaf;
	const char *title;	/* static: "cache parameters" */
	uint32_t r[4];
	struct cpuid_field *fields;
	size_t nfields, afields;
};

struct cpuid_report {
	struct cpuid_section *v;
	size_t n, alloc;
};

#define CPUID_REPORT_INIT { 0 }

/* Fills *ret (initialised here); feature names in the spelling of
 * `names`, canonical where that project has none. */
void cpuid_decode(const struct cpuid_data *c, enum cpuid_names names,
		  struct cpuid_report *ret);
void cpuid_report_release(struct cpuid_report *r);
