/* SPDX-License-Identifier: MIT */
/* `topo where`: the answer as text and as JSON (hvkit-topo(1), WHERE). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json.h"
#include "pcie.h"
#include "render.h"
#include "where.h"

/* "0,1" for the local nodes (numactl and libvirt nodeset syntax). */
static void node_list(const struct where *w, struct strbuf *out)
{
	struct cpuset s = { 0 };

	for (size_t i = 0; i < w->nnodes; i++)
		if (w->nodes[i]->os_index >= 0)
			cpuset_set(&s, (unsigned)w->nodes[i]->os_index);
	char *f = cpuset_format(&s);
	strbuf_adds(out, f);
	free(f);
	cpuset_release(&s);
}

static bool is_bridge(const struct topo_obj *o)
{
	return o->type == TOPO_PCI_BRIDGE;
}

/* A PCI address split for libvirt's <address>: false for a host bridge. */
static bool split_addr(const char *a, unsigned long *dom, unsigned *bus,
		       unsigned *dev, unsigned *fn)
{
	char tail;

	return a && sscanf(a, "%lx:%x:%x.%x%c", dom, bus, dev, fn, &tail) == 4;
}

/* The devices that go to a guest together: the group less its bridges
 * (the kernel lets bridges stay with the host), or the device alone. */
static size_t assign_list(const struct where *w, const struct topo_obj ***ret)
{
	const struct topo_obj **v = xmalloc((w->ngroup + 1) * sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < w->ngroup; i++)
		if (!is_bridge(w->group[i]))
			v[n++] = w->group[i];
	if (!w->ngroup && w->pci && !is_bridge(w->pci))
		v[n++] = w->pci;
	*ret = v;
	return n;
}

static void hostdev(const struct topo_obj *o, struct strbuf *out)
{
	unsigned long dom;
	unsigned bus, dev, fn;

	if (!split_addr(o->address, &dom, &bus, &dev, &fn))
		return;
	strbuf_addf(out, "<hostdev mode='subsystem' type='pci' managed='yes'><source>"
		    "<address domain='0x%04lx' bus='0x%02x' slot='0x%02x' function='0x%x'/>"
		    "</source></hostdev>", dom, bus, dev, fn);
}

static void xl_pci(const struct topo_obj **v, size_t n, struct strbuf *out)
{
	strbuf_adds(out, "pci=[");
	for (size_t i = 0; i < n; i++)
		strbuf_addf(out, "%s'%s'", i ? ", " : " ", v[i]->address);
	strbuf_adds(out, " ]");
}

static void link_str(const struct topo_link *l, double gbps, struct strbuf *out)
{
	check__link_str(l, out);
	if (gbps > 0)		/* "? x4": no bandwidth for an unknown speed */
		strbuf_addf(out, " %.1f GB/s", gbps);
}

/* A label without control bytes: render_label's words. */
static void label(const struct topo_obj *o, struct strbuf *out)
{
	render_label(o, false, out);
}

static void printable(const char *s, struct strbuf *out)
{
	char *c = xstrdup(s);

	strbuf_adds(out, str_printable(c, false));
	free(c);
}

/* "0000:01:00.0 MT27800 Family [ConnectX-5]": a PCI function in a list. */
static void short_label(const struct topo_obj *o, struct strbuf *out)
{
	strbuf_adds(out, o->address ? o->address : "?");
	if (o->device_name || o->class_name) {
		strbuf_adds(out, " ");
		printable(o->device_name ? o->device_name : o->class_name, out);
	}
}

static void text_cpus(const struct where *w, struct strbuf *out)
{
	char *list = cpuset_format(&w->cpus);
	struct strbuf nodes = STRBUF_INIT, mask = STRBUF_INIT;

	node_list(w, &nodes);
	where_cpu_mask(&w->cpus, &mask);
	if (!*list) {
		strbuf_adds(out, "Local CPUs:   none known\n");
		goto out;
	}
	strbuf_addf(out, "Local CPUs:   %s (%u CPU%s", list, cpuset_count(&w->cpus),
		    cpuset_count(&w->cpus) == 1 ? "" : "s");
	if (w->locality) {
		strbuf_adds(out, ", ");
		if (w->locality->type == TOPO_MACHINE)
			strbuf_adds(out, "the whole machine");
		else
			label(w->locality, out);
	}
	strbuf_adds(out, ")\n");
	strbuf_addf(out, "  xl.cfg      cpus=\"%s\"\n", list);
	strbuf_addf(out, "  libvirt     <vcpupin vcpu='N' cpuset='%s'/> <emulatorpin cpuset='%s'/>\n",
		    list, list);
	if (nodes.len)
		strbuf_addf(out, "              <numatune><memory mode='strict' nodeset='%s'/></numatune>\n",
			    nodes.buf);
	strbuf_addf(out, "  taskset     taskset -c %s COMMAND\n", list);
	if (nodes.len)
		strbuf_addf(out, "  numactl     numactl --cpunodebind=%s --membind=%s COMMAND\n",
			    nodes.buf, nodes.buf);
	strbuf_addf(out, "  mask        %s\n", mask.buf);
out:
	free(list);
	strbuf_release(&nodes);
	strbuf_release(&mask);
}

static void text_path(const struct where *w, struct strbuf *out)
{
	if (!w->nhops)
		return;
	strbuf_adds(out, "Path to the CPUs:\n");
	for (size_t i = 0; i < w->nhops; i++) {
		const struct where_hop *h = &w->hops[i];
		const struct topo_obj *o = h->obj;

		strbuf_adds(out, "  ");
		if (o->host_bridge) {
			strbuf_addf(out, "host bridge %s", o->address ? o->address : "?");
			if (w->node)
				strbuf_addf(out, " (NUMA node %lld)", (long long)w->node->os_index);
			strbuf_adds(out, "\n");
			continue;
		}
		short_label(o, out);
		if (o->port_type) {
			strbuf_adds(out, " [");
			printable(o->port_type, out);
			strbuf_adds(out, "]");
		}
		if (h->link) {
			strbuf_adds(out, ": ");
			if (!h->sta.width) {
				strbuf_adds(out, "link down");
			} else {
				link_str(&h->sta, h->sta_gbps, out);
				if (h->degraded) {
					strbuf_adds(out, " DEGRADED, can do ");
					link_str(&h->cap, h->cap_gbps, out);
				}
			}
			if (!pcie_partner(o) && i + 1 < w->nhops &&
			    !w->hops[i + 1].obj->host_bridge)
				strbuf_adds(out, " (other end unknown)");
		} else if (i == 0 && !o->has_link) {
			strbuf_adds(out, ": link not known");
		}
		strbuf_adds(out, "\n");
	}
	if (w->narrowest >= 0) {
		const struct where_hop *h = &w->hops[w->narrowest];

		strbuf_addf(out, "  narrowest   %s at %s: ", h->obj->address,
			    h->degraded ? "a degraded link" : "its link");
		link_str(&h->sta, h->sta_gbps, out);
		strbuf_adds(out, h->sta_gbps > 0 ? " per direction\n"
						 : " (speed unknown)\n");
	}
}

static void text_group(const struct where *w, struct strbuf *out)
{
	const struct topo_obj **assign = NULL;
	size_t n;

	if (!w->pci || w->pci->host_bridge)
		return;
	if (w->iommu_group < 0 && w->xen) {
		strbuf_adds(out, "IOMMU group: none in dom0 (Xen owns the IOMMU): 'xl pci-assignable-add' each function\n");
		return;
	}
	if (w->iommu_group == TOPO_IOMMU_BAD) {
		strbuf_addf(out, "IOMMU group: unknown (%s; see the warning): pass-through cannot be planned from this input\n",
			    w->pci->iommu_bad ? w->pci->iommu_bad : "the input is inconsistent");
		return;
	}
	if (w->iommu_group < 0) {
		strbuf_adds(out, "IOMMU group: none (the IOMMU is off, or the input did not record it)\n");
		return;
	}
	strbuf_addf(out, "IOMMU group: %d, %zu device%s\n", w->iommu_group, w->ngroup,
		    w->ngroup == 1 ? "" : "s");
	for (size_t i = 0; i < w->ngroup; i++) {
		const struct topo_obj *g = w->group[i];

		strbuf_adds(out, "  ");
		short_label(g, out);
		if (g->driver) {
			strbuf_adds(out, " (driver ");
			printable(g->driver, out);
			strbuf_adds(out, ")");
		}
		if (g == w->pci)
			strbuf_adds(out, "  <- this one");
		else if (is_bridge(g))
			strbuf_adds(out, "  bridge: stays with the host");
		strbuf_adds(out, "\n");
	}
	n = assign_list(w, &assign);
	if (!n) {
		strbuf_adds(out, "Pass-through: nothing to assign (only bridges in the group)\n");
	} else {
		strbuf_adds(out, n == 1 ? "Pass-through: assign it alone, bound to vfio-pci (or pci-stub/no driver)\n" :
			    "Pass-through: assign these together, each bound to vfio-pci (or pci-stub/no driver)\n");
		strbuf_adds(out, "  xl.cfg      ");
		xl_pci(assign, n, out);
		strbuf_adds(out, "\n");
		for (size_t i = 0; i < n; i++) {
			strbuf_adds(out, i ? "              " : "  libvirt     ");
			hostdev(assign[i], out);
			strbuf_adds(out, "\n");
		}
	}
	free(assign);
}

void where_render_text(const struct where *w, struct strbuf *out)
{
	const struct topo_obj *o = w->obj;

	label(o, out);
	if (o->type == TOPO_OS_DEVICE && w->pci) {
		strbuf_adds(out, " on ");
		label(w->pci, out);
	}
	if (w->pci && w->pci->driver) {
		strbuf_adds(out, " (driver ");
		printable(w->pci->driver, out);
		strbuf_adds(out, ")");
	}
	strbuf_adds(out, "\n");
	if (w->node)
		strbuf_addf(out, "NUMA node:    %lld", (long long)w->node->os_index);
	else
		strbuf_adds(out, "NUMA node:    none known");
	if (w->nnodes && !(w->nnodes == 1 && w->nodes[0] == w->node)) {
		strbuf_adds(out, " (local memory: node ");
		node_list(w, out);
		strbuf_adds(out, ")");
	}
	strbuf_adds(out, "\n");
	text_cpus(w, out);
	text_path(w, out);
	text_group(w, out);
	if (o->type == TOPO_NUMA) {
		strbuf_addf(out, "I/O devices:  %zu\n", w->nio);
		for (size_t i = 0; i < w->nio; i++) {
			strbuf_adds(out, "  ");
			label(w->io[i], out);
			strbuf_adds(out, "\n");
		}
	}
}

/* ---- JSON ---- */

static void json_objref(struct json *j, const char *key, const struct topo_obj *o)
{
	if (key)
		json_key(j, key);
	if (!o) {
		json_null(j);
		return;
	}
	json_obj_open(j);
	json_kv_str(j, "type", o->host_bridge ? "host_bridge" : topo_type_name(o->type));
	if (o->os_index >= 0)
		json_kv_i64(j, "os_index", o->os_index);
	json_kv_str(j, "name", o->name);
	json_kv_str(j, "kind", o->kind);
	json_kv_str(j, "address", o->address);
	json_kv_str(j, "vendor_name", o->vendor_name);
	json_kv_str(j, "device_name", o->device_name);
	json_kv_str(j, "driver", o->driver);
	json_obj_close(j);
}

static void json_strbuf_kv(struct json *j, const char *key, struct strbuf *sb)
{
	json_kv_str(j, key, sb->buf);
	strbuf_reset(sb);
}

static void json_paste(struct json *j, const struct where *w)
{
	char *list = cpuset_format(&w->cpus);
	struct strbuf nodes = STRBUF_INIT, sb = STRBUF_INIT;

	node_list(w, &nodes);
	json_key(j, "paste");
	if (!*list) {
		json_null(j);
		goto out;
	}
	json_obj_open(j);
	strbuf_addf(&sb, "cpus=\"%s\"", list);
	json_strbuf_kv(j, "xl", &sb);
	strbuf_addf(&sb, "<vcpupin vcpu='N' cpuset='%s'/>", list);
	json_strbuf_kv(j, "libvirt_vcpupin", &sb);
	strbuf_addf(&sb, "<emulatorpin cpuset='%s'/>", list);
	json_strbuf_kv(j, "libvirt_emulatorpin", &sb);
	if (nodes.len) {
		strbuf_addf(&sb, "<numatune><memory mode='strict' nodeset='%s'/></numatune>",
			    nodes.buf);
		json_strbuf_kv(j, "libvirt_numatune", &sb);
	}
	strbuf_addf(&sb, "taskset -c %s", list);
	json_strbuf_kv(j, "taskset", &sb);
	if (nodes.len) {
		strbuf_addf(&sb, "numactl --cpunodebind=%s --membind=%s", nodes.buf,
			    nodes.buf);
		json_strbuf_kv(j, "numactl", &sb);
	}
	json_obj_close(j);
out:
	free(list);
	strbuf_release(&nodes);
	strbuf_release(&sb);
}

static void json_path(struct json *j, const struct where *w)
{
	json_key(j, "path");
	json_arr_open(j);
	for (size_t i = 0; i < w->nhops; i++) {
		const struct where_hop *h = &w->hops[i];

		json_obj_open(j);
		json_kv_str(j, "address", h->obj->address);
		json_kv_str(j, "type", h->obj->host_bridge ? "host_bridge" :
			    topo_type_name(h->obj->type));
		json_kv_str(j, "port_type", h->obj->port_type);
		if (h->link) {
			check__link_json(j, "link", &h->sta, h->obj->link_flit);
			check__link_json(j, "link_capable", &h->cap, h->obj->link_flit);
			json_kv_bool(j, "degraded", h->degraded);
		}
		json_obj_close(j);
	}
	json_arr_close(j);
	json_key(j, "narrowest");
	if (w->narrowest < 0) {
		json_null(j);
	} else {
		const struct where_hop *h = &w->hops[w->narrowest];

		json_obj_open(j);
		json_kv_str(j, "address", h->obj->address);
		json_key(j, "gbps");
		if (h->sta_gbps > 0)
			json_double(j, h->sta_gbps);
		else
			json_null(j);	/* speed unknown */
		json_kv_bool(j, "degraded", h->degraded);
		json_obj_close(j);
	}
	json_kv_bool(j, "degraded", w->degraded);
}

static void json_group(struct json *j, const struct where *w)
{
	const struct topo_obj **assign = NULL;
	struct strbuf sb = STRBUF_INIT;
	size_t n;

	json_key(j, "iommu_group");
	if (w->iommu_group < 0)
		json_null(j);
	else
		json_i64(j, w->iommu_group);
	json_key(j, "iommu_members");
	json_arr_open(j);
	for (size_t i = 0; i < w->ngroup; i++) {
		const struct topo_obj *g = w->group[i];

		json_obj_open(j);
		json_kv_str(j, "address", g->address);
		json_kv_str(j, "type", topo_type_name(g->type));
		json_key(j, "driver");
		json_str(j, g->driver);		/* null: no driver bound */
		json_kv_bool(j, "bridge", is_bridge(g));
		json_obj_close(j);
	}
	json_arr_close(j);
	if (w->iommu_group == TOPO_IOMMU_BAD)
		json_kv_str(j, "iommu_group_unknown", w->pci->iommu_bad);
	json_key(j, "passthrough");
	if (!w->pci || w->pci->host_bridge || w->iommu_group == TOPO_IOMMU_BAD) {
		json_null(j);
		return;
	}
	n = assign_list(w, &assign);
	json_obj_open(j);
	json_key(j, "assign");
	json_arr_open(j);
	for (size_t i = 0; i < n; i++)
		json_str(j, assign[i]->address);
	json_arr_close(j);
	json_key(j, "stay_with_host");
	json_arr_open(j);
	for (size_t i = 0; i < w->ngroup; i++)
		if (is_bridge(w->group[i]))
			json_str(j, w->group[i]->address);
	json_arr_close(j);
	if (n) {
		xl_pci(assign, n, &sb);
		json_strbuf_kv(j, "xl", &sb);
		json_key(j, "libvirt");
		json_arr_open(j);
		for (size_t i = 0; i < n; i++) {
			hostdev(assign[i], &sb);
			json_str(j, sb.buf);
			strbuf_reset(&sb);
		}
		json_arr_close(j);
	}
	json_obj_close(j);
	free(assign);
	strbuf_release(&sb);
}

void where_render_json(const struct where *w, bool pretty, struct strbuf *out)
{
	struct json j;
	struct strbuf sb = STRBUF_INIT;
	char *list = cpuset_format(&w->cpus);

	json_init(&j, out, pretty);
	json_obj_open(&j);
	json_objref(&j, "object", w->obj);
	json_objref(&j, "pci", w->pci);
	json_key(&j, "numa_node");
	if (w->node && w->node->os_index >= 0)
		json_i64(&j, w->node->os_index);
	else
		json_null(&j);
	json_key(&j, "local_numa_nodes");
	json_arr_open(&j);
	for (size_t i = 0; i < w->nnodes; i++)
		json_i64(&j, w->nodes[i]->os_index);
	json_arr_close(&j);
	json_objref(&j, "locality", w->locality);
	json_key(&j, "cpus");
	json_arr_open(&j);
	for (int c = cpuset_next(&w->cpus, 0); c >= 0;
	     c = cpuset_next(&w->cpus, (unsigned)c + 1))
		json_i64(&j, c);
	json_arr_close(&j);
	json_kv_str(&j, "cpu_list", list);
	where_cpu_mask(&w->cpus, &sb);
	json_kv_str(&j, "cpu_mask", sb.buf);
	json_paste(&j, w);
	json_path(&j, w);
	json_group(&j, w);
	if (w->obj->type == TOPO_NUMA) {
		json_key(&j, "io_devices");
		json_arr_open(&j);
		for (size_t i = 0; i < w->nio; i++)
			json_objref(&j, NULL, w->io[i]);
		json_arr_close(&j);
	}
	json_obj_close(&j);
	strbuf_adds(out, "\n");
	strbuf_release(&sb);
	free(list);
}
