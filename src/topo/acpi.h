/* SPDX-License-Identifier: MIT */
/* ACPI tables: acpidump text reader and SRAT/SLIT/MCFG/MADT/HMAT decoders. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/*
 * Conventions for every function below.
 *
 * Input bytes are untrusted firmware data: every length and count is
 * checked before use, and a decoder never reads past `len`.  The table's
 * own length field (validated by acpi_check_header()) bounds the decode;
 * bytes after it are ignored.
 *
 * On success a parser returns 0 and fills *ret, which the caller then owns
 * and frees with the matching _release().  On failure it returns a
 * negative errno (-EINVAL for bad data, -ENOMEM), records the reason in d
 * (which may be NULL) and leaves *ret zeroed, owning nothing.  Warnings
 * (checksum mismatch, ignored trailing bytes) are recorded in d and do not
 * fail the parse.  _release() accepts a zeroed or NULL object and leaves
 * it zeroed.
 */

#define ACPI_HEADER_SIZE 36

/* Cap on the entries one decoder will return (CPUs, ranges, values). */
#define ACPI_MAX_ENTRIES (1u << 20)

/* Cap on the SLIT locality count. */
#define ACPI_SLIT_MAX 4096

/* ---- acpidump text ---- */

struct acpi_table {
	char sig[5];		/* first 4 characters of the dump's block name */
	uint8_t *data;		/* owned; the whole table incl. its header */
	size_t len;
};

struct acpi_tables {
	struct acpi_table *v;
	size_t n;
};

/*
 * Parses the text printed by `acpidump`: blocks of a name line
 * ("SRAT @ 0x00000000bf79e0c0") followed by hex lines
 * ("    0000: 53 52 41 54 ...  SRAT...."), separated by blank lines.
 * Every block is kept in order, so tables with several instances (SSDT)
 * appear several times.  Each hex line's offset must continue the table,
 * and a table's length field must match the bytes dumped (except for the
 * RSDP, "RSD PTR").  Errors name the 1-based line number ("line 12: ...").
 * Input without any table is an error.
 */
int acpi_parse_acpidump_text(const char *text, size_t len,
			     struct acpi_tables *ret, struct hv_diags *d);
void acpi_tables_release(struct acpi_tables *t);

/* The first table whose sig equals `sig` ("SSDT"), or NULL. */
const struct acpi_table *acpi_tables_find(const struct acpi_tables *t,
					  const char *sig);

/*
 * Validates the 36-byte header of the table at p: len >= 36, the length
 * field is >= 36 and <= len, and the signature equals expected_sig (when
 * not NULL).  A checksum mismatch is only a warning.  Returns 0 or
 * -EINVAL.
 */
int acpi_check_header(const uint8_t *p, size_t len, const char *expected_sig,
		      struct hv_diags *d);

/* ---- SRAT: System Resource Affinity Table ---- */

struct acpi_srat_cpu {
	uint32_t domain;
	uint32_t apic_id;	/* APIC or x2APIC ID; the ACPI processor UID when gicc */
	bool x2apic;		/* from an x2APIC affinity entry (type 2) */
	bool gicc;		/* from a GICC affinity entry (type 3, Arm) */
	bool enabled;
	uint32_t clock_domain;
};

struct acpi_srat_mem {
	uint32_t domain;
	uint64_t base, length;
	bool enabled, hotplug, nonvolatile;
};

struct acpi_srat {
	unsigned revision;		/* table revision; < 2 ignores domain bits 8-31 of type 0 */
	struct acpi_srat_cpu *cpus;	/* in table order */
	size_t ncpus;
	struct acpi_srat_mem *mems;	/* in table order */
	size_t nmems;
	size_t ngeneric_initiators;	/* type 5 entries, counted only */
	size_t nother;			/* other subtables, skipped */
};

int acpi_parse_srat(const uint8_t *p, size_t len, struct acpi_srat *ret,
		    struct hv_diags *d);
void acpi_srat_release(struct acpi_srat *s);

/* ---- SLIT: System Locality Information Table ---- */

struct acpi_slit {
	uint64_t n;		/* localities, at most ACPI_SLIT_MAX */
	uint8_t *m;		/* n x n, row major: m[i * n + j]; NULL when n == 0 */
};

int acpi_parse_slit(const uint8_t *p, size_t len, struct acpi_slit *ret,
		    struct hv_diags *d);
void acpi_slit_release(struct acpi_slit *s);

/* ---- MCFG: PCI Express memory-mapped configuration space ---- */

struct acpi_mcfg_seg {
	uint64_t base;
	uint16_t segment;
	uint8_t bus_start, bus_end;
};

struct acpi_mcfg {
	struct acpi_mcfg_seg *v;
	size_t n;
};

int acpi_parse_mcfg(const uint8_t *p, size_t len, struct acpi_mcfg *ret,
		    struct hv_diags *d);
void acpi_mcfg_release(struct acpi_mcfg *m);

/* ---- MADT ("APIC"): Multiple APIC Description Table ---- */

struct acpi_madt_cpu {
	uint32_t uid;		/* ACPI processor UID (8-bit for type 0) */
	uint32_t apic_id;
	bool x2apic;		/* from a local x2APIC entry (type 9) */
	bool enabled;
	bool online_capable;	/* flags bit 1; meaningful from MADT revision 5 */
};

struct acpi_madt {
	uint32_t lapic_addr;
	uint32_t flags;		/* bit 0: PC-AT compatible dual 8259 */
	struct acpi_madt_cpu *cpus;	/* type 0 and type 9 entries, table order */
	size_t ncpus;
	unsigned nioapics;	/* type 1 entries */
	size_t nother;		/* other subtables, skipped */
};

int acpi_parse_madt(const uint8_t *p, size_t len, struct acpi_madt *ret,
		    struct hv_diags *d);
void acpi_madt_release(struct acpi_madt *m);

/* ---- HMAT: Heterogeneous Memory Attribute Table ---- */

enum acpi_hmat_data_type {
	ACPI_HMAT_ACCESS_LATENCY = 0,
	ACPI_HMAT_READ_LATENCY = 1,
	ACPI_HMAT_WRITE_LATENCY = 2,
	ACPI_HMAT_ACCESS_BANDWIDTH = 3,
	ACPI_HMAT_READ_BANDWIDTH = 4,
	ACPI_HMAT_WRITE_BANDWIDTH = 5,
};

/*
 * One (initiator, target) value of a System Locality Latency and
 * Bandwidth Information structure.  value = entry * entry base unit;
 * latencies (data types 0-2) are converted from picoseconds to
 * nanoseconds, rounding up; bandwidths (3-5) are in MB/s.  Entries of 0
 * ("not provided") are left out.
 */
struct acpi_hmat_lb {
	unsigned data_type;	/* enum acpi_hmat_data_type */
	unsigned hierarchy;	/* flags bits 0-3: 0 memory, 1-3 cache level */
	uint32_t initiator, target;
	uint64_t value;
};

/* Memory proximity domain attributes (type 0). */
struct acpi_hmat_mpda {
	uint32_t initiator;	/* attached initiator domain, when initiator_valid */
	uint32_t memory;
	bool initiator_valid;
};

/* Memory side cache information (type 2). */
struct acpi_hmat_cache {
	uint32_t domain;
	uint64_t size;
	unsigned level;		/* cache attributes bits 4-7 */
	unsigned line_size;	/* bits 16-31, bytes */
	unsigned associativity;	/* bits 8-11: 0 none, 1 direct mapped, 2 complex */
	unsigned write_policy;	/* bits 12-15: 0 none, 1 write back, 2 write through */
};

struct acpi_hmat {
	unsigned revision;
	struct acpi_hmat_lb *lb;
	size_t nlb;
	struct acpi_hmat_cache *caches;
	size_t ncaches;
	struct acpi_hmat_mpda *mpdas;
	size_t nmpdas;
	size_t nother;		/* other structures, skipped */
};

int acpi_parse_hmat(const uint8_t *p, size_t len, struct acpi_hmat *ret,
		    struct hv_diags *d);
void acpi_hmat_release(struct acpi_hmat *h);
