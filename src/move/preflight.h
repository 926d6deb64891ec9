/* SPDX-License-Identifier: MIT */
/* `hvkit move check --for xapi`: every setting of an xl guest that will
 * not survive the move to a XAPI pool, with the reason and a remedy,
 * before anything moves.  Export and push run the same checks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "json.h"
#include "model.h"

/* The XAPI release families people run (xenapi.json's code names). */
enum pf_release {
	PF_REL_71,	/* XenServer 7.1 (ely) */
	PF_REL_82,	/* Citrix Hypervisor 8.2, XCP-ng 8.2 (stockholm): the default */
	PF_REL_83,	/* XenServer 8, XCP-ng 8.3 (nile) */
};
int pf_release_parse(const char *s, enum pf_release *ret);
const char *pf_release_name(enum pf_release r);

enum pf_level { PF_WARN, PF_BLOCK };

struct pf_finding {
	enum pf_level level;
	char *setting;		/* "kernel", "disk xvda", "vif 0", "/etc/fstab" */
	char *problem;		/* what will not survive, and why */
	char *remedy;		/* what to do instead; may be NULL */
};

struct pf_report {
	struct pf_finding *v;
	size_t n;
};

/*
 * Checks vm (read from cfg) for a move to XAPI release rel and appends
 * the findings to r (zeroed by the caller; pf_report_release()).  Disks
 * the guest boots from are looked into (guest-disk.h) when they are raw
 * files or block devices.  Never fails: what cannot be checked is a
 * warning in r.
 */
void preflight_xapi(const struct mv_vm *vm, enum pf_release rel, struct pf_report *r);
size_t pf_blockers(const struct pf_report *r);
void pf_report_release(struct pf_report *r);
/* The report as JSON: {"release":..., "blockers":N, "findings":[{level,
 * setting, problem, remedy}]}. */
void pf_report_json(const struct pf_report *r, enum pf_release rel, struct json *j);
