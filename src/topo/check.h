/* SPDX-License-Identifier: MIT */
/* `topo check` and `topo diff`: findings about a topology model, and the
 * differences between two.  Library code: nothing here prints. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "strbuf.h"

enum check_severity { CHECK_INFO, CHECK_WARNING, CHECK_ERROR };

#define CHECK_MAX_NUMS 8

/* A named number of a finding: a JSON key next to "message". */
struct check_num {
	const char *key;		/* static snake_case */
	double v;
};

/*
 * One finding (or, for diff, one difference).  kind is a stable
 * snake_case id (the man page lists them); object names what it is about
 * (a PCI address, a DIMM locator, "node 1", a vulnerability name);
 * message is one line with the numbers.  The report owns the strings.
 */
struct finding {
	enum check_severity severity;
	const char *kind;		/* static */
	char *object;
	char *message;
	const char *citation;		/* static; errata only, else NULL */
	struct check_num nums[CHECK_MAX_NUMS];
	size_t nnums;
};

struct check_report {
	struct finding *v;
	size_t n, alloc;
};

#define CHECK_REPORT_INIT { 0 }

void check_report_release(struct check_report *r);

const char *check_severity_name(enum check_severity s);
/* "error", "warning" or "info" (also "none": above every severity, so
 * nothing fails); -EINVAL for anything else. */
int check_severity_parse(const char *s, int *ret);

/*
 * Runs every check on t and appends the findings to r, most severe first
 * (stable within a severity).  The groups are also callable alone.
 */
void topo_check(const struct topo *t, struct check_report *r);
void check_pcie(const struct topo *t, struct check_report *r);
void check_placement(const struct topo *t, struct check_report *r);
void check_memory(const struct topo *t, struct check_report *r);
void check_cpu(const struct topo *t, struct check_report *r);

/* The highest severity in r, or -1 when r is empty. */
int check_worst(const struct check_report *r);

/*
 * Text: one line per finding ("error    OBJECT  MESSAGE [kind]") and a
 * summary line.  JSON: {"findings": [{"severity", "kind", "object",
 * "message", <numbers>, "citation"?}], "links": [...]} where "links"
 * lists every PCIe link of t with its capability and status bandwidth
 * (t may be NULL: no "links").
 */
void check_render_text(const struct check_report *r, struct strbuf *out);
void check_render_json(const struct check_report *r, const struct topo *t,
		       bool pretty, struct strbuf *out);

/*
 * Appends to r what changed from a to b: PCI devices added, removed or
 * changed (by address), PCIe link states, memory modules added, removed,
 * moved or changed (by locator), microcode, CPU and memory totals, CPU
 * vulnerability states.  Severity is CHECK_INFO throughout.
 */
void topo_diff(const struct topo *a, const struct topo *b,
	       struct check_report *r);
/* Text: one line per difference; JSON: {"differences": [{"kind",
 * "object", "message", <numbers>}]}. */
void diff_render_text(const struct check_report *r, struct strbuf *out);
void diff_render_json(const struct check_report *r, bool pretty,
		      struct strbuf *out);

/* Helpers shared by check-*.c and diff.c */
__attribute__((format(printf, 5, 6)))
struct finding *check__add(struct check_report *r, enum check_severity s,
			   const char *kind, const char *object,
			   const char *fmt, ...);
void check__num(struct finding *f, const char *key, double v);
/* "eth0" (the first OS device below obj) or else its address. */
const char *check__pci_label(const struct topo_obj *obj);
/* "Gen3 x8" or "2.5 GT/s x1" for a link. */
void check__link_str(const struct topo_link *l, struct strbuf *out);
/* {"speed_gts", "width", "gbps"} of a link under key. */
struct json;
void check__link_json(struct json *j, const char *key, const struct topo_link *l,
		      bool flit);
/* Parses a microcode revision ("0x1b"); -1 when s is NULL or not one. */
int check__microcode(const char *s, uint64_t *ret);
/* Collects every object of type below root, depth first (caller frees). */
size_t check__collect(const struct topo_obj *root, enum topo_type type,
		      const struct topo_obj ***ret);
