/* SPDX-License-Identifier: MIT */
/* OVF 2.0 envelope: written from the XAPI records, read with libxml2. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "lazy.h"
#include "ovf.h"
#include "util.h"
#include "xapi.h"

/* ---- writer ---- */

/* Map entries as XenServer writes platform ("k=v;k=v;"), with %, ; and
 * = escaped so that any value survives. */
static void map_escape(struct strbuf *o, const char *s)
{
	for (; *s; s++) {
		if (*s == '%' || *s == ';' || *s == '=')
			strbuf_addf(o, "%%%02X", (unsigned char)*s);
		else
			strbuf_addc(o, *s);
	}
}

static const char *const type_names[] = {
	[XV_STR] = "string", [XV_INT] = "int", [XV_BOOL] = "bool",
	[XV_MAP] = "map", [XV_LIST] = "list",
};

/* Every field of r but lists (references) as an OtherConfigurationData
 * entry named PREFIX + field. */
static void config_data(struct strbuf *o, const char *prefix, const struct xrec *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct xfield *f = &r->f[i];
		struct strbuf v = STRBUF_INIT;

		if (f->type == XV_LIST)
			continue;
		if (f->type == XV_MAP) {
			for (size_t k = 0; k < f->nmap; k++) {
				map_escape(&v, f->map[k].key);
				strbuf_addc(&v, '=');
				map_escape(&v, f->map[k].value);
				strbuf_addc(&v, ';');
			}
		} else {
			strbuf_adds(&v, f->value);
		}
		strbuf_addf(o, "      <ovf:VirtualSystemOtherConfigurationData ovf:required=\"false\" Name=\"%s%s\" hvkit:type=\"%s\"><xenovf:Value>",
			    prefix, f->name, type_names[f->type]);
		xml_escape(o, v.buf);
		strbuf_adds(o, "</xenovf:Value></ovf:VirtualSystemOtherConfigurationData>\n");
		strbuf_release(&v);
	}
}

static void item_open(struct strbuf *o, unsigned *instance, const char *name,
		      unsigned type)
{
	strbuf_adds(o, "      <ovf:Item>\n        <rasd:ElementName>");
	xml_escape(o, name);
	strbuf_addf(o, "</rasd:ElementName>\n        <rasd:InstanceID>%u</rasd:InstanceID>\n"
		       "        <rasd:ResourceType>%u</rasd:ResourceType>\n", ++*instance, type);
}

static void rasd(struct strbuf *o, const char *tag, const char *v)
{
	strbuf_addf(o, "        <rasd:%s>", tag);
	xml_escape(o, v);
	strbuf_addf(o, "</rasd:%s>\n", tag);
}

void ovf_write(struct mv_vm *vm, char *const *hrefs, const uint64_t *file_sizes,
	       struct strbuf *o, struct hv_diags *d)
{
	struct xapi_pkg p = { 0 };
	char uuid[37], num[64];
	unsigned inst = 0;

	if (!vm->uuid) {
		mv_uuid_new(uuid);
		vm->uuid = xstrdup(uuid);
	}
	xapi_from_vm(vm, &p, d);
	const char *name = xrec_get(&p.vm, "name_label");
	strbuf_adds(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		       "<ovf:Envelope xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/2\""
		       " xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData\""
		       " xmlns:vssd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData\""
		       " xmlns:xenovf=\"http://schemas.citrix.com/ovf/envelope/1\""
		       " xmlns:hvkit=\"urn:hvkit:move:1\" ovf:version=\"2.0.0\">\n"
		       "  <ovf:References>\n");
	for (size_t i = 0; i < vm->ndisks; i++) {
		if (!hrefs[i])
			continue;
		strbuf_addf(o, "    <ovf:File ovf:id=\"file%zu\" ovf:href=\"", i);
		xml_escape(o, hrefs[i]);
		strbuf_addf(o, "\" ovf:size=\"%" PRIu64 "\"/>\n", file_sizes[i]);
	}
	strbuf_adds(o, "  </ovf:References>\n  <ovf:DiskSection>\n"
		       "    <ovf:Info>Virtual disks</ovf:Info>\n");
	for (size_t i = 0; i < vm->ndisks; i++) {
		strbuf_addf(o, "    <ovf:Disk ovf:diskId=\"disk%zu\"", i);
		if (hrefs[i])
			strbuf_addf(o, " ovf:fileRef=\"file%zu\"", i);
		strbuf_addf(o, " ovf:capacity=\"%" PRIu64 "\" ovf:capacityAllocationUnits=\"byte\""
			       " ovf:format=\"%s\"/>\n", vm->disks[i].size, OVF_VHD_FORMAT);
	}
	strbuf_adds(o, "  </ovf:DiskSection>\n  <ovf:NetworkSection>\n"
		       "    <ovf:Info>Networks</ovf:Info>\n");
	for (size_t i = 0; i < p.nnics; i++) {
		bool dup = false;
		for (size_t k = 0; k < i; k++)
			dup |= strcmp(xrec_get(&p.net[k], "name_label"), xrec_get(&p.net[i], "name_label")) == 0;
		if (dup)
			continue;
		strbuf_adds(o, "    <ovf:Network ovf:name=\"");
		xml_escape(o, xrec_get(&p.net[i], "name_label"));
		strbuf_adds(o, "\"><ovf:Description>");
		xml_escape(o, xrec_get(&p.net[i], "name_description"));
		strbuf_adds(o, "</ovf:Description></ovf:Network>\n");
	}
	strbuf_adds(o, "  </ovf:NetworkSection>\n  <ovf:VirtualSystem ovf:id=\"");
	xml_escape(o, name);
	strbuf_adds(o, "\">\n    <ovf:Info>A virtual machine</ovf:Info>\n    <ovf:Name>");
	xml_escape(o, name);
	strbuf_adds(o, "</ovf:Name>\n    <ovf:OperatingSystemSection ovf:id=\"0\">\n"
		       "      <ovf:Info>Guest operating system</ovf:Info>\n"
		       "    </ovf:OperatingSystemSection>\n"
		       "    <ovf:VirtualHardwareSection>\n"
		       "      <ovf:Info>Virtual hardware</ovf:Info>\n      <ovf:System>\n"
		       "        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>\n"
		       "        <vssd:InstanceID>0</vssd:InstanceID>\n"
		       "        <vssd:VirtualSystemIdentifier>");
	xml_escape(o, vm->uuid);
	strbuf_addf(o, "</vssd:VirtualSystemIdentifier>\n"
		       "        <vssd:VirtualSystemType>%s</vssd:VirtualSystemType>\n      </ovf:System>\n",
		    vm->type == MV_GUEST_HVM ? "hvm-3.0-x86_64" : "xen-3.0-x86_64");
	item_open(o, &inst, "vCPUs", 3);
	rasd(o, "VirtualQuantity", xrec_get(&p.vm, "VCPUs_at_startup"));
	rasd(o, "Limit", xrec_get(&p.vm, "VCPUs_max"));
	strbuf_adds(o, "      </ovf:Item>\n");
	item_open(o, &inst, "Memory", 4);
	rasd(o, "AllocationUnits", "byte * 2^20");
	uint64_t v = 0;
	(void)xrec_get_u64(&p.vm, "memory_dynamic_max", &v);
	snprintf(num, sizeof(num), "%" PRIu64, v >> 20);
	rasd(o, "VirtualQuantity", num);
	(void)xrec_get_u64(&p.vm, "memory_static_max", &v);
	snprintf(num, sizeof(num), "%" PRIu64, v >> 20);
	rasd(o, "Limit", num);
	strbuf_adds(o, "      </ovf:Item>\n");
	for (size_t i = 0; i < p.ndisks; i++) {
		bool cd = strcmp(xrec_get(&p.vbd[i], "type"), "CD") == 0;
		item_open(o, &inst, cd ? "CD-ROM" : "Hard disk", cd ? 15 : 17);
		rasd(o, "AddressOnParent", xrec_get(&p.vbd[i], "userdevice"));
		snprintf(num, sizeof(num), "ovf:/disk/disk%zu", i);
		rasd(o, "HostResource", num);
		strbuf_adds(o, "      </ovf:Item>\n");
	}
	for (size_t i = 0; i < p.nnics; i++) {
		item_open(o, &inst, "Network adapter", 10);
		if (vm->nics[i].mac)
			rasd(o, "Address", vm->nics[i].mac);
		rasd(o, "Connection", xrec_get(&p.net[i], "name_label"));
		rasd(o, "AddressOnParent", xrec_get(&p.vif[i], "device"));
		strbuf_adds(o, "      </ovf:Item>\n");
	}
	config_data(o, "", &p.vm);
	for (size_t i = 0; i < p.ndisks; i++) {
		snprintf(num, sizeof(num), "vbd%zu:", i);
		config_data(o, num, &p.vbd[i]);
		snprintf(num, sizeof(num), "vdi%zu:", i);
		config_data(o, num, &p.vdi[i]);
	}
	for (size_t i = 0; i < p.nnics; i++) {
		snprintf(num, sizeof(num), "vif%zu:", i);
		config_data(o, num, &p.vif[i]);
		snprintf(num, sizeof(num), "net%zu:", i);
		config_data(o, num, &p.net[i]);
	}
	strbuf_adds(o, "    </ovf:VirtualHardwareSection>\n  </ovf:VirtualSystem>\n</ovf:Envelope>\n");
	xapi_pkg_release(&p);
}

/* ---- reader ---- */

static bool is(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* The first child element named `name` (any namespace). */
static xmlNode *child(xmlNode *n, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (is(c, name))
			return c;
	return NULL;
}

static char *text(xmlNode *n)
{
	xmlChar *t = n ? xmlNodeGetContent(n) : NULL;
	char *r = t ? xstrdup(strstrip((char *)t)) : NULL;

	xmlFree(t);
	return r;
}

/* An attribute by local name (any namespace); borrowed. */
static const char *attr(xmlNode *n, const char *name)
{
	for (xmlAttr *a = n ? n->properties : NULL; a; a = a->next)
		if (strcmp((const char *)a->name, name) == 0 && a->children &&
		    a->children->content)
			return (const char *)a->children->content;
	return NULL;
}

static char *map_unescape(const char *s, size_t n)
{
	char *r = xmalloc(n + 1), *w = r;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n + 1 && hexdigit(s[i + 1]) >= 0 && hexdigit(s[i + 2]) >= 0) {
			*w++ = (char)(hexdigit(s[i + 1]) << 4 | hexdigit(s[i + 2]));
			i += 2;
		} else {
			*w++ = s[i];
		}
	}
	*w = 0;
	return r;
}

static void set_field(struct xrec *r, const char *field, const char *type,
		      const char *value)
{
	if (type && strcmp(type, "map") == 0) {
		xrec_map(r, field);
		for (const char *p = value; *p;) {
			const char *semi = strchr(p, ';'), *end = semi ? semi : p + strlen(p);
			const char *eq = memchr(p, '=', (size_t)(end - p));
			if (eq) {
				char *k = map_unescape(p, (size_t)(eq - p));
				char *v = map_unescape(eq + 1, (size_t)(end - eq - 1));
				xrec_map_set(r, field, k, v);
				free(k);
				free(v);
			}
			p = semi ? semi + 1 : end;
		}
	} else if (type && strcmp(type, "bool") == 0) {
		xrec_bool(r, field, strcmp(value, "1") == 0 || strcasecmp(value, "true") == 0);
	} else {
		xrec_str(r, field, value);
	}
}

/* The record a prefixed configuration entry ("vbd2:mode") belongs to,
 * growing p as needed; NULL when the index is out of reason. */
static struct xrec *target_rec(struct xapi_pkg *p, const char *name,
			       const char **ret_field)
{
	static const char *const pre[] = { "vbd", "vdi", "vif", "net" };
	const char *colon = strchr(name, ':');

	if (!colon) {
		*ret_field = name;
		return &p->vm;
	}
	for (size_t k = 0; k < 4; k++) {
		size_t pl = strlen(pre[k]);
		uint64_t idx;
		_cleanup_free_ char *num = NULL;
		if (strncmp(name, pre[k], pl) != 0)
			continue;
		num = xstrndup(name + pl, (size_t)(colon - name - (ptrdiff_t)pl));
		if (parse_u64(num, 10, &idx) < 0 || idx >= 4096)
			return NULL;
		*ret_field = colon + 1;
		if (k < 2) {
			while (p->ndisks <= idx)
				(void)xapi_pkg_add_disk(p);
			return k == 0 ? &p->vbd[idx] : &p->vdi[idx];
		}
		while (p->nnics <= idx)
			(void)xapi_pkg_add_nic(p);
		return k == 2 ? &p->vif[idx] : &p->net[idx];
	}
	return NULL;
}

int ovf_parse(const char *xml, size_t len, const char *name, struct mv_vm *vm,
	      char ***ret_hrefs, struct ovf_file **ret_files, struct hv_diags *d)
{
	struct xapi_pkg p = { 0 };
	char **hrefs = NULL;
	struct ovf_file *files = NULL;
	char **disk_ids = NULL;	/* "disk0" of each disk, in item order */
	size_t nids = 0;
	xmlDoc *doc;
	int rc = 0;

	if (len > INT32_MAX)
		return hv_errorf(d, "%s: too large", name);
	if ((rc = lazy_xml2_load(d)) < 0)
		return rc;
	doc = xmlReadMemory(xml, (int)len, name, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *e = xmlGetLastError();
		return hv_errorf(d, "%s:%d: %s", name, e ? e->line : 0,
				 e && e->message ? strstrip(e->message) : "not well-formed XML");
	}
	xmlNode *env = xmlDocGetRootElement(doc);
	xmlNode *vs = child(env, "VirtualSystem");
	xmlNode *hw = child(vs, "VirtualHardwareSection");
	if (!is(env, "Envelope") || !vs || !hw) {
		rc = hv_errorf(d, "%s:%u: no Envelope/VirtualSystem/VirtualHardwareSection (not an OVF?)",
			       name, env ? (unsigned)xmlGetLineNo(env) : 1);
		goto out;
	}
	xmlNode *sys = child(hw, "System");
	char *s;
	if ((s = text(child(vs, "Name"))) || (s = xstrdup(attr(vs, "id") ? attr(vs, "id") : ""))) {
		xrec_str(&p.vm, "name_label", s);
		free(s);
	}
	if ((s = text(child(sys, "VirtualSystemIdentifier")))) {
		xrec_str(&p.vm, "uuid", s);
		free(s);
	}
	if ((s = text(child(sys, "VirtualSystemType")))) {
		xrec_str(&p.vm, "domain_type", strstr(s, "hvm") ? "hvm" : "pv");
		if (strstr(s, "hvm"))
			xrec_str(&p.vm, "HVM_boot_policy", "BIOS order");
		free(s);
	}
	/* The standard items: CPUs, memory, disks, NICs. */
	for (xmlNode *it = hw->children; it; it = it->next) {
		if (!is(it, "Item"))
			continue;
		char *type = text(child(it, "ResourceType"));
		char *qty = text(child(it, "VirtualQuantity"));
		char *lim = text(child(it, "Limit"));
		char *units = text(child(it, "AllocationUnits"));
		uint64_t t = 0, q = 0, l = 0;
		if (!type || parse_u64(type, 10, &t) < 0 ||
		    (qty && parse_u64(qty, 10, &q) < 0) || (lim && parse_u64(lim, 10, &l) < 0)) {
			rc = hv_errorf(d, "%s:%u: Item with a bad ResourceType, VirtualQuantity or Limit",
				       name, (unsigned)xmlGetLineNo(it));
		} else if (t == 3) {
			xrec_int(&p.vm, "VCPUs_at_startup", (int64_t)q);
			xrec_int(&p.vm, "VCPUs_max", (int64_t)(l > q ? l : q));
		} else if (t == 4) {
			uint64_t mult = units && strstr(units, "2^30") ? 1ull << 30 :
					units && strstr(units, "2^20") ? 1ull << 20 :
					units && strstr(units, "2^10") ? 1ull << 10 : 1;
			if (!units || strstr(units, "2^") || strcmp(units, "byte") == 0) {
				xrec_int(&p.vm, "memory_dynamic_max", (int64_t)(q * mult));
				xrec_int(&p.vm, "memory_static_max", (int64_t)((l > q ? l : q) * mult));
			} else {
				rc = hv_errorf(d, "%s:%u: memory in unknown units '%s'", name,
					       (unsigned)xmlGetLineNo(it), units);
			}
		} else if (t == 15 || t == 16 || t == 17) {
			char *host = text(child(it, "HostResource"));
			char *addr = text(child(it, "AddressOnParent"));
			size_t k = xapi_pkg_add_disk(&p);
			disk_ids = xrealloc(disk_ids, p.ndisks * sizeof(*disk_ids));
			nids = p.ndisks;
			disk_ids[k] = host && strrchr(host, '/') ? xstrdup(strrchr(host, '/') + 1) : NULL;
			xrec_str(&p.vbd[k], "type", t == 17 ? "Disk" : "CD");
			xrec_str(&p.vbd[k], "mode", t == 17 ? "RW" : "RO");
			if (addr)
				xrec_str(&p.vbd[k], "userdevice", addr);
			free(host);
			free(addr);
		} else if (t == 10) {
			char *mac = text(child(it, "Address"));
			char *conn = text(child(it, "Connection"));
			size_t k = xapi_pkg_add_nic(&p);
			if (mac)
				xrec_str(&p.vif[k], "MAC", mac);
			if (conn) {
				xrec_str(&p.net[k], "name_label", conn);
				xrec_str(&p.net[k], "bridge", conn);
			}
			free(mac);
			free(conn);
		}
		free(type);
		free(qty);
		free(lim);
		free(units);
		if (rc < 0)
			goto out;
	}
	/* XAPI's fields, when the OVF came from XenServer or hvkit. */
	for (xmlNode *c = hw->children; c; c = c->next) {
		if (!is(c, "VirtualSystemOtherConfigurationData"))
			continue;
		const char *nm = attr(c, "Name"), *field;
		struct xrec *r = nm ? target_rec(&p, nm, &field) : NULL;
		if (!r) {
			rc = hv_errorf(d, "%s:%u: configuration entry '%s' names no object",
				       name, (unsigned)xmlGetLineNo(c), nm ? nm : "");
			goto out;
		}
		xmlNode *val = child(c, "Value");
		xmlChar *t = xmlNodeGetContent(val ? val : c);
		set_field(r, field, attr(c, "type"), t ? (const char *)t : "");
		xmlFree(t);
	}
	disk_ids = xrealloc(disk_ids, (p.ndisks ? p.ndisks : 1) * sizeof(*disk_ids));
	for (; nids < p.ndisks; nids++)
		disk_ids[nids] = NULL;
	/* Disks: capacity and file from the DiskSection and References. */
	hrefs = xcalloc(p.ndisks ? p.ndisks : 1, sizeof(*hrefs));
	files = xcalloc(p.ndisks ? p.ndisks : 1, sizeof(*files));
	xmlNode *ds = child(env, "DiskSection"), *refs = child(env, "References");
	for (size_t i = 0; i < p.ndisks; i++) {
		const char *id = disk_ids[i];
		for (xmlNode *dk = ds ? ds->children : NULL; id && dk && !hrefs[i]; dk = dk->next) {
			if (!is(dk, "Disk") || !attr(dk, "diskId") || strcmp(attr(dk, "diskId"), id) != 0)
				continue;
			const char *cap = attr(dk, "capacity"), *units = attr(dk, "capacityAllocationUnits");
			uint64_t c = 0;
			if (!cap || parse_u64(cap, 10, &c) < 0) {
				rc = hv_errorf(d, "%s:%u: disk '%s' has a bad capacity '%s'", name,
					       (unsigned)xmlGetLineNo(dk), id, cap ? cap : "");
				goto out;
			}
			if (units && strstr(units, "2^30"))
				c <<= 30;
			else if (units && strstr(units, "2^20"))
				c <<= 20;
			if (!xrec_get(&p.vdi[i], "virtual_size"))
				xrec_int(&p.vdi[i], "virtual_size", (int64_t)c);
			const char *fmt = attr(dk, "format");
			/* A second Disk of this id (the first's file not found)
			 * replaces what the first said. */
			free(files[i].format);
			files[i].format = NULL;
			if (fmt && strstr(fmt, "vhdspec"))
				files[i].format = xstrdup("vhd");
			else if (fmt && strstr(fmt, "vmdk"))
				files[i].format = xstrdup("vmdk");
			files[i].capacity = c;
			const char *fref = attr(dk, "fileRef");
			for (xmlNode *f = refs ? refs->children : NULL; fref && f; f = f->next)
				if (!hrefs[i] && is(f, "File") && attr(f, "id") &&
				    strcmp(attr(f, "id"), fref) == 0 && attr(f, "href"))
					hrefs[i] = xstrdup(attr(f, "href"));
		}
	}
	rc = xapi_to_vm(&p, vm, name, d);
	if (rc == 0) {
		*ret_hrefs = hrefs;
		hrefs = NULL;
		if (ret_files) {
			*ret_files = files;
			files = NULL;
		}
	}
out:
	for (size_t i = 0; hrefs && i < p.ndisks; i++)
		free(hrefs[i]);
	ovf_files_free(files, p.ndisks);
	for (size_t i = 0; i < nids; i++)
		free(disk_ids[i]);
	free(hrefs);
	free(disk_ids);
	xapi_pkg_release(&p);
	xmlFreeDoc(doc);
	return rc;
}

void ovf_files_free(struct ovf_file *f, size_t n)
{
	for (size_t i = 0; f && i < n; i++)
		free(f[i].format);
	free(f);
}
