/* SPDX-License-Identifier: MIT */
/* JSON rendering of the topology model (keys documented in hvkit-topo(1)). */
#include <stdio.h>
#include <stdlib.h>

#include "json.h"
#include "render.h"

#ifndef HVKIT_VERSION
#define HVKIT_VERSION "0"
#endif

static void json_cpuset(struct json *j, const char *key, const struct cpuset *s)
{
	char *f = cpuset_format(s);

	json_kv_str(j, key, f);
	free(f);
}

static void json_link(struct json *j, const char *key, const struct topo_link *l)
{
	json_key(j, key);
	json_obj_open(j);
	json_kv_double(j, "speed_gts", l->speed_gts);
	json_kv_u64(j, "width", l->width);
	json_obj_close(j);
}

static void json_hex(struct json *j, const char *key, unsigned v, int digits)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%0*x", digits, v);
	json_kv_str(j, key, buf);
}

static void json_obj(struct json *j, const struct topo *t,
		     const struct topo_obj *o)
{
	json_obj_open(j);
	json_kv_str(j, "type", o->host_bridge ? "host_bridge" : topo_type_name(o->type));
	if (o->os_index >= 0)
		json_kv_i64(j, "os_index", o->os_index);
	switch (o->type) {
	case TOPO_MACHINE:
		json_kv_str(j, "vendor", o->vendor);
		json_kv_str(j, "product", o->product);
		json_kv_str(j, "version", o->version);
		json_kv_str(j, "board_vendor", o->board_vendor);
		json_kv_str(j, "board", o->board);
		if (o->bios_vendor || o->bios_version || o->bios_date) {
			json_key(j, "bios");
			json_obj_open(j);
			json_kv_str(j, "vendor", o->bios_vendor);
			json_kv_str(j, "version", o->bios_version);
			json_kv_str(j, "date", o->bios_date);
			json_obj_close(j);
		}
		json_kv_str(j, "hostname", o->hostname);
		json_kv_u64(j, "memory_bytes", topo_total_memory(o));
		json_cpuset(j, "cpuset", &o->cpus);
		break;
	case TOPO_PACKAGE:
		json_kv_str(j, "cpu_model", o->cpu_model);
		json_cpuset(j, "cpuset", &o->cpus);
		break;
	case TOPO_DIE:
	case TOPO_CLUSTER:
		json_cpuset(j, "cpuset", &o->cpus);
		break;
	case TOPO_GROUP:
		json_cpuset(j, "cpuset", &o->cpus);
		json_kv_str(j, "reason", o->reason);
		break;
	case TOPO_NUMA:
		json_kv_u64(j, "memory_bytes", o->memory_bytes);
		if (o->mem_kind)
			json_kv_str(j, "kind", o->mem_kind);
		json_kv_str(j, "pci_device", o->address);
		json_cpuset(j, "cpuset", &o->cpus);
		/* This node's row of the distance matrix. */
		for (size_t r = 0; r < t->ndist; r++) {
			if ((int64_t)t->dist_nodes[r] != o->os_index)
				continue;
			json_key(j, "distances");
			json_arr_open(j);
			for (size_t c = 0; c < t->ndist; c++)
				json_u64(j, t->dist[r * t->ndist + c]);
			json_arr_close(j);
			break;
		}
		break;
	case TOPO_MEMCACHE:
		json_kv_u64(j, "level", o->level);
		json_kv_u64(j, "size_bytes", o->size_bytes);
		json_kv_u64(j, "line_size", o->line_size);
		break;
	case TOPO_CACHE:
		json_kv_u64(j, "level", o->level);
		json_kv_str(j, "cache_type", topo_cache_type_name(o->cache_type));
		json_kv_u64(j, "size_bytes", o->size_bytes);
		json_kv_u64(j, "line_size", o->line_size);
		json_kv_u64(j, "ways", o->ways);
		json_cpuset(j, "cpuset", &o->cpus);
		break;
	case TOPO_CORE:
		json_kv_str(j, "kind", o->core_kind);
		json_cpuset(j, "cpuset", &o->cpus);
		break;
	case TOPO_PU:
		json_kv_bool(j, "online", o->online);
		break;
	case TOPO_MEMORY_MODULE:
		json_kv_str(j, "locator", o->locator);
		json_kv_str(j, "bank", o->bank);
		json_kv_u64(j, "size_bytes", o->size_bytes);
		json_kv_str(j, "mem_type", o->mem_type);
		json_kv_str(j, "form_factor", o->form_factor);
		json_kv_u64(j, "speed_mts", o->speed_mts);
		json_kv_u64(j, "configured_speed_mts", o->configured_speed_mts);
		json_kv_str(j, "manufacturer", o->manufacturer);
		json_kv_str(j, "part_number", o->part_number);
		json_kv_str(j, "serial", o->serial);
		json_kv_u64(j, "rank", o->rank);
		json_kv_u64(j, "total_width", o->total_width);
		json_kv_u64(j, "data_width", o->data_width);
		json_kv_bool(j, "ecc", o->ecc);
		json_kv_str(j, "placement", o->placement);
		break;
	case TOPO_PCI_BRIDGE:
	case TOPO_PCI_DEVICE:
		json_kv_str(j, "address", o->address);
		if (o->host_bridge) {
			json_kv_bool(j, "host_bridge", true);
			json_kv_i64(j, "numa_node", o->numa_node);
			break;
		}
		json_hex(j, "vendor_id", o->vendor_id, 4);
		json_hex(j, "device_id", o->device_id, 4);
		json_hex(j, "subvendor_id", o->subvendor_id, 4);
		json_hex(j, "subdevice_id", o->subdevice_id, 4);
		json_hex(j, "class", o->class_id, 6);
		json_kv_u64(j, "revision", o->revision);
		json_kv_str(j, "vendor", o->vendor_name);
		json_kv_str(j, "device", o->device_name);
		json_kv_str(j, "class_name", o->class_name);
		json_kv_str(j, "driver", o->driver);
		json_kv_i64(j, "numa_node", o->numa_node);
		if (o->type == TOPO_PCI_BRIDGE) {
			json_kv_u64(j, "secondary_bus", o->secondary_bus);
			json_kv_u64(j, "subordinate_bus", o->subordinate_bus);
		}
		json_kv_str(j, "port_type", o->port_type);
		if (o->has_link) {
			json_key(j, "link");
			json_obj_open(j);
			json_link(j, "cap", &o->link_cap);
			json_link(j, "sta", &o->link_sta);
			json_kv_bool(j, "flit", o->link_flit);
			json_obj_close(j);
			json_kv_u64(j, "max_payload", o->max_payload);
			json_kv_u64(j, "max_read_request", o->max_read_req);
		}
		json_kv_bool(j, "aer", o->has_aer);
		json_kv_bool(j, "acs", o->has_acs);
		if (o->has_sriov) {
			json_key(j, "sriov");
			json_obj_open(j);
			json_kv_u64(j, "total_vfs", o->sriov_total_vfs);
			json_kv_u64(j, "num_vfs", o->sriov_num_vfs);
			json_obj_close(j);
		}
		if (o->is_vf)
			json_kv_bool(j, "virtual_function", true);
		break;
	case TOPO_OS_DEVICE:
		json_kv_str(j, "name", o->name);
		json_kv_str(j, "kind", o->kind);
		break;
	default:
		break;
	}
	json_key(j, "children");
	json_arr_open(j);
	for (size_t i = 0; i < o->nkids; i++)
		json_obj(j, t, o->kids[i]);
	json_arr_close(j);
	json_obj_close(j);
}

void render_json(const struct topo *t, const struct render_opts *opts,
		 struct strbuf *out)
{
	struct json j;

	json_init(&j, out, opts->pretty);
	json_obj_open(&j);
	json_kv_str(&j, "format", "hvkit-topo");
	json_kv_u64(&j, "format_version", 1);
	json_kv_str(&j, "hvkit_version", HVKIT_VERSION);
	json_key(&j, "sources");
	json_arr_open(&j);
	for (size_t i = 0; i < t->nsources; i++)
		json_str(&j, t->sources[i]);
	json_arr_close(&j);

	json_key(&j, "topology");
	json_obj(&j, t, t->root);

	/* The matrix as a list of rows ([] when unknown), the node of each
	 * row, and where it came from. */
	json_key(&j, "distances");
	json_arr_open(&j);
	for (size_t r = 0; r < t->ndist; r++) {
		json_arr_open(&j);
		for (size_t c = 0; c < t->ndist; c++)
			json_u64(&j, t->dist[r * t->ndist + c]);
		json_arr_close(&j);
	}
	json_arr_close(&j);
	json_key(&j, "distance_nodes");
	json_arr_open(&j);
	for (size_t i = 0; i < t->ndist; i++)
		json_u64(&j, t->dist_nodes[i]);
	json_arr_close(&j);
	json_key(&j, "distance_source");
	json_str(&j, t->ndist ? t->dist_source : NULL);

	json_key(&j, "acpi");
	json_obj_open(&j);
	json_key(&j, "srat_domains");
	json_arr_open(&j);
	for (size_t i = 0; i < t->nacpi_domains; i++) {
		const struct topo_acpi_domain *d = &t->acpi_domains[i];

		json_obj_open(&j);
		json_kv_u64(&j, "domain", d->domain);
		json_key(&j, "apic_ids");
		json_arr_open(&j);
		for (size_t k = 0; k < d->napic; k++)
			json_u64(&j, d->apic_ids[k]);
		json_arr_close(&j);
		json_key(&j, "memory");
		json_arr_open(&j);
		for (size_t k = 0; k < d->nmem; k++) {
			json_obj_open(&j);
			json_kv_u64(&j, "base", d->mem_base[k]);
			json_kv_u64(&j, "length", d->mem_len[k]);
			json_obj_close(&j);
		}
		json_arr_close(&j);
		json_obj_close(&j);
	}
	json_arr_close(&j);
	json_key(&j, "mcfg");
	json_arr_open(&j);
	for (size_t i = 0; i < t->nmcfg; i++) {
		json_obj_open(&j);
		json_kv_u64(&j, "segment", t->mcfg[i].segment);
		json_kv_u64(&j, "base", t->mcfg[i].base);
		json_kv_u64(&j, "bus_start", t->mcfg[i].bus_start);
		json_kv_u64(&j, "bus_end", t->mcfg[i].bus_end);
		json_obj_close(&j);
	}
	json_arr_close(&j);
	json_key(&j, "hmat");
	json_arr_open(&j);
	for (size_t i = 0; i < t->nhmat; i++) {
		json_obj_open(&j);
		json_kv_u64(&j, "initiator", t->hmat[i].initiator);
		json_kv_u64(&j, "target", t->hmat[i].target);
		json_kv_str(&j, "attribute", t->hmat[i].attr);
		json_kv_u64(&j, "value", t->hmat[i].value);
		json_obj_close(&j);
	}
	json_arr_close(&j);
	if (t->have_madt) {
		json_key(&j, "madt");
		json_obj_open(&j);
		json_kv_u64(&j, "cpus", t->madt_cpus);
		json_kv_u64(&j, "enabled", t->madt_enabled);
		json_obj_close(&j);
	}
	json_obj_close(&j);

	json_key(&j, "xen");
	if (t->xen) {
		json_obj_open(&j);
		json_key(&j, "domains");
		json_arr_open(&j);
		for (size_t i = 0; i < t->nxen_domains; i++) {
			const struct topo_xen_domain *d = &t->xen_domains[i];

			json_obj_open(&j);
			json_kv_u64(&j, "domid", d->domid);
			json_kv_str(&j, "name", d->name);
			json_kv_u64(&j, "memory_bytes", d->memory_bytes);
			json_kv_u64(&j, "max_memory_bytes", d->max_memory_bytes);
			json_kv_str(&j, "node_affinity", d->node_affinity);
			json_key(&j, "pci");
			json_arr_open(&j);
			for (size_t k = 0; k < d->npci; k++)
				json_str(&j, d->pci[k]);
			json_arr_close(&j);
			json_key(&j, "vcpus");
			json_arr_open(&j);
			for (size_t k = 0; k < d->nvcpus; k++) {
				const struct topo_xen_vcpu *v = &d->vcpus[k];

				json_obj_open(&j);
				json_kv_u64(&j, "vcpu", v->vcpu);
				json_kv_i64(&j, "cpu", v->cpu);
				json_kv_bool(&j, "online", v->online);
				json_kv_bool(&j, "running", v->running);
				json_kv_str(&j, "hard_affinity", v->hard);
				json_kv_str(&j, "soft_affinity", v->soft);
				json_obj_close(&j);
			}
			json_arr_close(&j);
			json_obj_close(&j);
		}
		json_arr_close(&j);
		json_obj_close(&j);
	} else {
		json_null(&j);
	}

	json_key(&j, "vulnerabilities");
	json_arr_open(&j);
	for (size_t i = 0; i < t->nvulns; i++) {
		json_obj_open(&j);
		json_kv_str(&j, "name", t->vulns[i].name);
		json_kv_str(&j, "status", t->vulns[i].status);
		json_kv_bool(&j, "mitigated", t->vulns[i].mitigated);
		json_obj_close(&j);
	}
	json_arr_close(&j);
	json_key(&j, "microcode");
	json_str(&j, t->microcode);
	json_obj_close(&j);
	strbuf_addc(out, '\n');
}
