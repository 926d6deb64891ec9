/* SPDX-License-Identifier: MIT */
/*
 * What the pictures and the text tree show of the PCI tree by default:
 * lstopo 2.9's default I/O filter (HWLOC_TYPE_FILTER_KEEP_IMPORTANT), so
 * that a person sees the devices they look for, and the rest folded into
 * one line per bus.  `--io all` (or -v) shows every function.
 *
 * lstopo's rule, and where hvkit departs from it (named for the
 * differential test, tests/e2e/topo/0920-io-filter.py):
 *  - a function is kept for its class: display, network, storage,
 *    unclassified, processor/co-processor, Fibre Channel, InfiniBand, CXL
 *    memory, processing accelerators;
 *  - a bridge (a PCI-PCI bridge, or any class 06 function) only when
 *    something below it is kept;
 *  - "os-device": a function with an OS device below it is kept whatever
 *    its class (lstopo attaches the OS device to a kept ancestor instead);
 *  - "degraded-link": a function whose link pcie_link_degraded() is kept,
 *    so that every `topo check` link finding is drawn.
 * Host bridges stay, holding the fold lines of what they hide.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "strbuf.h"

/* Whether a PCI object (function, bridge, host bridge) or OS device is
 * shown by the default filter (an OS device unless lstopo shows it only
 * with --whole-io); true for anything else. */
bool io_shown(const struct topo_obj *o);

/* The functions hidden below one parent on one bus: one fold line. */
struct io_fold {
	char bus[16];			/* "0000:7f" */
	size_t n;			/* functions, hidden bridges' included */
	const struct topo_obj *first;	/* the first hidden child */
};

/*
 * The fold lines of parent's hidden children, in child order, one per
 * bus (*ret: caller frees; NULL when none).  Returns how many.
 */
size_t io_folds(const struct topo_obj *parent, struct io_fold **ret);
/* "38 functions on bus 0000:7f (System peripheral, Performance
 * counters)": the classes, most common first, at most three. */
void io_fold_label(const struct topo_obj *parent, const struct io_fold *f,
		   struct strbuf *out);
