/* SPDX-License-Identifier: MIT */
/* XVA ova.xml: XAPI's objects as XML-RPC values (write with a strbuf,
 * read with libxml2). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "util.h"
#include "xva.h"

/* ---- writer ---- */

static void xml_text(struct strbuf *o, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': strbuf_adds(o, "&lt;"); break;
		case '>': strbuf_adds(o, "&gt;"); break;
		case '&': strbuf_adds(o, "&amp;"); break;
		case '"': strbuf_adds(o, "&quot;"); break;
		default: strbuf_addc(o, *s); break;
		}
	}
}

static void m_str(struct strbuf *o, const char *name, const char *v)
{
	strbuf_addf(o, "<member><name>%s</name><value>", name);
	xml_text(o, v ? v : "");
	strbuf_adds(o, "</value></member>");
}

static void m_bool(struct strbuf *o, const char *name, bool v)
{
	strbuf_addf(o, "<member><name>%s</name><value><boolean>%d</boolean></value></member>",
		    name, v ? 1 : 0);
}

static void m_i4(struct strbuf *o, const char *name, long v)
{
	strbuf_addf(o, "<member><name>%s</name><value><i4>%ld</i4></value></member>", name, v);
}

static void m_u64s(struct strbuf *o, const char *name, uint64_t v)
{
	strbuf_addf(o, "<member><name>%s</name><value>%" PRIu64 "</value></member>", name, v);
}

static void m_refs(struct strbuf *o, const char *name, const char *const *refs, size_t n)
{
	strbuf_addf(o, "<member><name>%s</name><value><array><data>", name);
	for (size_t i = 0; i < n; i++)
		strbuf_addf(o, "<value>%s</value>", refs[i]);
	strbuf_adds(o, "</data></array></value></member>");
}

static void m_map(struct strbuf *o, const char *name, const struct mv_kv *kv, size_t n)
{
	strbuf_addf(o, "<member><name>%s</name><value><struct>", name);
	for (size_t i = 0; i < n; i++)
		m_str(o, kv[i].key, kv[i].value);
	strbuf_adds(o, "</struct></value></member>");
}

static void obj_open(struct strbuf *o, const char *cls, const char *id)
{
	strbuf_addf(o, "<value><struct><member><name>class</name><value>%s</value></member>"
		       "<member><name>id</name><value>%s</value></member>"
		       "<member><name>snapshot</name><value><struct>", cls, id);
}

static void obj_close(struct strbuf *o)
{
	strbuf_adds(o, "</struct></value></member></struct></value>");
}

void xva_ova_xml(struct mv_vm *vm, struct strbuf *o)
{
	char uuid[37], sr_uuid[37];
	size_t n = vm->ndisks;
	/* Ref:0 VM, Ref:1 SR, then VBD and VDI per disk. */
	char **vbd = xcalloc(n ? n : 1, sizeof(char *));
	const char *sr_ref = "Ref:1";
	char date[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (size_t i = 0; i < n; i++) {
		vbd[i] = xasprintf("Ref:%zu", 2 + 2 * i);
		if (!vm->disks[i].ref)
			vm->disks[i].ref = xasprintf("Ref:%zu", 3 + 2 * i);
	}
	if (!vm->uuid) {
		mv_uuid_new(uuid);
		vm->uuid = xstrdup(uuid);
	}
	mv_uuid_new(sr_uuid);

	strbuf_adds(o, "<?xml version=\"1.0\" ?>\n<value><struct>"
		       "<member><name>version</name><value><struct>");
	m_str(o, "hostname", "hvkit");
	m_str(o, "date", date);
	m_str(o, "product_version", HVKIT_VERSION);
	m_str(o, "product_brand", "hvkit");
	m_str(o, "build_number", "0");
	m_i4(o, "xapi_major", 1);
	m_i4(o, "xapi_minor", 1);
	m_i4(o, "export_vsn", 2);
	strbuf_adds(o, "</struct></value></member>"
		       "<member><name>objects</name><value><array><data>");

	uint64_t mem = (vm->memory_mib ? vm->memory_mib : 512) << 20;
	uint64_t maxmem = vm->maxmem_mib ? vm->maxmem_mib << 20 : mem;
	unsigned vcpus = vm->vcpus ? vm->vcpus : 1;
	obj_open(o, "VM", "Ref:0");
	m_str(o, "uuid", vm->uuid);
	m_str(o, "name_label", vm->name ? vm->name : "hvkit");
	m_str(o, "name_description", "exported by hvkit move");
	m_str(o, "power_state", "Halted");
	m_bool(o, "is_a_template", false);
	m_bool(o, "is_a_snapshot", false);
	m_bool(o, "is_control_domain", false);
	m_u64s(o, "memory_static_max", maxmem);
	m_u64s(o, "memory_dynamic_max", mem);
	m_u64s(o, "memory_dynamic_min", mem);
	m_u64s(o, "memory_static_min", mem < maxmem ? mem : maxmem);
	m_u64s(o, "VCPUs_max", vm->maxvcpus ? vm->maxvcpus : vcpus);
	m_u64s(o, "VCPUs_at_startup", vcpus);
	m_str(o, "actions_after_shutdown", "destroy");
	m_str(o, "actions_after_reboot", "restart");
	m_str(o, "actions_after_crash", "restart");
	m_str(o, "PV_bootloader", vm->bootloader);
	m_str(o, "PV_kernel", vm->kernel);
	m_str(o, "PV_ramdisk", vm->ramdisk);
	m_str(o, "PV_args", vm->cmdline);
	m_str(o, "HVM_boot_policy", vm->type == MV_GUEST_HVM ? "BIOS order" : "");
	strbuf_adds(o, "<member><name>HVM_boot_params</name><value><struct>");
	if (vm->type == MV_GUEST_HVM)
		m_str(o, "order", vm->boot_order ? vm->boot_order : "cd");
	strbuf_adds(o, "</struct></value></member>");
	strbuf_adds(o, "<member><name>platform</name><value><struct></struct></value></member>");
	m_map(o, "other_config", vm->other, vm->nother);
	m_refs(o, "VBDs", (const char *const *)vbd, n);
	m_refs(o, "VIFs", NULL, 0);
	obj_close(o);

	obj_open(o, "SR", sr_ref);
	m_str(o, "uuid", sr_uuid);
	m_str(o, "name_label", "hvkit export");
	m_str(o, "type", "ext");
	m_str(o, "content_type", "user");
	strbuf_adds(o, "<member><name>VDIs</name><value><array><data>");
	for (size_t i = 0; i < n; i++)
		strbuf_addf(o, "<value>%s</value>", vm->disks[i].ref);
	strbuf_adds(o, "</data></array></value></member>");
	obj_close(o);

	for (size_t i = 0; i < n; i++) {
		struct mv_disk *dk = &vm->disks[i];
		char vdev[16];

		snprintf(vdev, sizeof(vdev), "xvd%c", (char)('a' + (i % 26)));
		mv_uuid_new(uuid);
		obj_open(o, "VBD", vbd[i]);
		m_str(o, "uuid", uuid);
		m_str(o, "VM", "Ref:0");
		m_str(o, "VDI", dk->ref);
		m_str(o, "device", dk->vdev ? dk->vdev : vdev);
		strbuf_addf(o, "<member><name>userdevice</name><value>%zu</value></member>", i);
		m_bool(o, "bootable", i == 0);
		m_str(o, "mode", dk->readonly ? "RO" : "RW");
		m_str(o, "type", dk->kind == MV_DISK_CDROM ? "CD" : "Disk");
		m_bool(o, "empty", false);
		obj_close(o);

		if (!dk->uuid) {
			mv_uuid_new(uuid);
			dk->uuid = xstrdup(uuid);
		}
		obj_open(o, "VDI", dk->ref);
		m_str(o, "uuid", dk->uuid);
		m_str(o, "name_label", dk->name ? dk->name : "disk");
		m_str(o, "name_description", "");
		m_u64s(o, "virtual_size", dk->size);
		m_str(o, "type", "user");
		m_str(o, "SR", sr_ref);
		m_bool(o, "read_only", dk->readonly);
		m_bool(o, "sharable", false);
		m_refs(o, "VBDs", (const char *const *)&vbd[i], 1);
		strbuf_adds(o, "<member><name>other_config</name><value><struct></struct></value></member>");
		strbuf_adds(o, "<member><name>sm_config</name><value><struct></struct></value></member>");
		obj_close(o);
	}
	strbuf_adds(o, "</data></array></value></member></struct></value>\n");
	for (size_t i = 0; i < n; i++)
		free(vbd[i]);
	free(vbd);
}

/* ---- reader ---- */

static bool is(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static xmlNode *first_elem(xmlNode *n)
{
	for (; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

/* <value><struct>: the <value> of member `name`, or NULL. */
static xmlNode *member(xmlNode *value, const char *name)
{
	xmlNode *st = value ? first_elem(value->children) : NULL;

	if (!is(st, "struct"))
		return NULL;
	for (xmlNode *m = first_elem(st->children); m; m = first_elem(m->next)) {
		xmlNode *nm = NULL, *v = NULL;

		if (!is(m, "member"))
			continue;
		for (xmlNode *c = first_elem(m->children); c; c = first_elem(c->next)) {
			if (is(c, "name"))
				nm = c;
			else if (is(c, "value"))
				v = c;
		}
		if (nm && v) {
			xmlChar *t = xmlNodeGetContent(nm);
			bool match = t && strcmp((const char *)t, name) == 0;

			xmlFree(t);
			if (match)
				return v;
		}
	}
	return NULL;
}

/* The scalar text of a <value> (bare or in <string>/<i4>/...), malloc'd. */
static char *scalar(xmlNode *value)
{
	xmlChar *t;
	char *r;

	if (!value)
		return NULL;
	t = xmlNodeGetContent(value);
	r = xstrdup(t ? (const char *)t : "");
	xmlFree(t);
	return r;
}

static uint64_t scalar_u64(xmlNode *value)
{
	char *s = scalar(value);
	uint64_t v = 0;

	if (s)
		(void)parse_u64(s, 10, &v);
	free(s);
	return v;
}

int xva_ova_parse(const char *xml, size_t len, struct mv_vm *vm,
		  struct hv_diags *d)
{
	xmlDoc *doc;
	int rc = 0;

	if (len > INT32_MAX)
		return hv_errorf(d, "ova.xml is too large");
	doc = xmlReadMemory(xml, (int)len, "ova.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *e = xmlGetLastError();
		return hv_errorf(d, "ova.xml:%d: %s", e ? e->line : 0,
				 e && e->message ? strstrip(e->message) : "not well-formed XML");
	}
	xmlNode *root = xmlDocGetRootElement(doc);
	xmlNode *objs = is(root, "value") ? member(root, "objects") : NULL;
	xmlNode *arr = objs ? first_elem(objs->children) : NULL;
	xmlNode *data = is(arr, "array") ? first_elem(arr->children) : NULL;
	if (!is(data, "data")) {
		rc = hv_errorf(d, "ova.xml:%u: no 'objects' array (not an XVA export?)",
			       root ? (unsigned)xmlGetLineNo(root) : 0);
		goto out;
	}
	bool have_vm = false;
	for (xmlNode *o = first_elem(data->children); o; o = first_elem(o->next)) {
		char *cls = scalar(member(o, "class"));
		char *id = scalar(member(o, "id"));
		xmlNode *snap = member(o, "snapshot");

		if (!cls || !id || !snap) {
			rc = hv_errorf(d, "ova.xml:%u: object without class, id or snapshot",
				       (unsigned)xmlGetLineNo(o));
			free(cls);
			free(id);
			goto out;
		}
		if (strcmp(cls, "VM") == 0 && !have_vm) {
			char *tmpl = scalar(member(snap, "is_a_template"));
			have_vm = true;
			vm->name = scalar(member(snap, "name_label"));
			vm->uuid = scalar(member(snap, "uuid"));
			vm->maxmem_mib = scalar_u64(member(snap, "memory_static_max")) >> 20;
			vm->memory_mib = scalar_u64(member(snap, "memory_dynamic_max")) >> 20;
			vm->vcpus = (unsigned)scalar_u64(member(snap, "VCPUs_at_startup"));
			vm->maxvcpus = (unsigned)scalar_u64(member(snap, "VCPUs_max"));
			free(tmpl);
		} else if (strcmp(cls, "VDI") == 0) {
			struct mv_disk *dk = mv_vm_add_disk(vm);

			dk->ref = xstrdup(id);
			dk->uuid = scalar(member(snap, "uuid"));
			dk->name = scalar(member(snap, "name_label"));
			char *vs = scalar(member(snap, "virtual_size"));
			if (!vs || parse_u64(vs, 10, &dk->size) < 0 ||
			    dk->size > (1ull << 56)) {
				rc = hv_errorf(d, "ova.xml:%u: VDI %s has a bad virtual_size '%s'",
					       (unsigned)xmlGetLineNo(o), id, vs ? vs : "");
				free(vs);
				free(cls);
				free(id);
				goto out;
			}
			free(vs);
			char *ro = scalar(member(snap, "read_only"));
			dk->readonly = ro && strcmp(ro, "1") == 0;
			free(ro);
		}
		free(cls);
		free(id);
	}
	if (!have_vm)
		rc = hv_errorf(d, "ova.xml: no VM object");
out:
	xmlFreeDoc(doc);
	return rc;
}
