/* SPDX-License-Identifier: MIT */
/* XVA ova.xml: XAPI's objects as XML-RPC values (written from the
 * records of xapi-map.c, read with libxml2). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "lazy.h"
#include "util.h"
#include "xmlrpc.h"
#include "xapi.h"
#include "xva.h"

/* ---- writer ---- */

static void obj(struct strbuf *o, const char *cls, const char *id,
		const struct xrec *r)
{
	strbuf_addf(o, "<value><struct><member><name>class</name><value>%s</value></member>"
		       "<member><name>id</name><value>%s</value></member>"
		       "<member><name>snapshot</name>", cls, id);
	xrec_xmlrpc(r, o);
	strbuf_adds(o, "</member></struct></value>\n");
}

void xva_ova_xml(struct mv_vm *vm, struct strbuf *o, struct hv_diags *d)
{
	struct xapi_pkg p = { 0 };
	char uuid[37], date[32];
	time_t now = time(NULL);
	struct tm tm;
	struct xrec sr = XREC_INIT;
	/* Ref:0 VM, Ref:1 SR, then VBD and VDI per disk, VIF and network
	 * per NIC. */
	size_t nd = vm->ndisks, next = 2 + 2 * nd;

	if (!vm->uuid) {
		mv_uuid_new(uuid);
		vm->uuid = xstrdup(uuid);
	}
	for (size_t i = 0; i < nd; i++) {
		if (!vm->disks[i].ref)
			vm->disks[i].ref = xasprintf("Ref:%zu", 3 + 2 * i);
		if (!vm->disks[i].uuid) {
			mv_uuid_new(uuid);
			vm->disks[i].uuid = xstrdup(uuid);
		}
	}
	xapi_from_vm(vm, &p, d);
	for (size_t i = 0; i < nd; i++) {
		char *vbd = xasprintf("Ref:%zu", 2 + 2 * i);

		xrec_list_add(&p.vm, "VBDs", vbd);
		mv_uuid_new(uuid);
		xrec_str(&p.vbd[i], "uuid", uuid);
		xrec_str(&p.vbd[i], "VM", "Ref:0");
		xrec_str(&p.vbd[i], "VDI", vm->disks[i].ref);
		xrec_str(&p.vdi[i], "SR", "Ref:1");
		xrec_list(&p.vdi[i], "VBDs");
		xrec_list_add(&p.vdi[i], "VBDs", vbd);
		xrec_list_add(&sr, "VDIs", vm->disks[i].ref);
		free(vbd);
	}
	for (size_t i = 0; i < p.nnics; i++) {
		char *vif = xasprintf("Ref:%zu", next + 2 * i);
		char *net = xasprintf("Ref:%zu", next + 2 * i + 1);

		xrec_list_add(&p.vm, "VIFs", vif);
		mv_uuid_new(uuid);
		xrec_str(&p.vif[i], "uuid", uuid);
		xrec_str(&p.vif[i], "VM", "Ref:0");
		xrec_str(&p.vif[i], "network", net);
		mv_uuid_new(uuid);
		xrec_str(&p.net[i], "uuid", uuid);
		xrec_list(&p.net[i], "VIFs");
		xrec_list_add(&p.net[i], "VIFs", vif);
		free(vif);
		free(net);
	}
	mv_uuid_new(uuid);
	xrec_str(&sr, "uuid", uuid);
	xrec_str(&sr, "name_label", "hvkit export");
	xrec_str(&sr, "name_description", "");
	xrec_str(&sr, "type", "ext");
	xrec_str(&sr, "content_type", "user");
	xrec_list(&sr, "VDIs");

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	strbuf_adds(o, "<?xml version=\"1.0\" ?>\n<value><struct>"
		       "<member><name>version</name><value><struct>");
	strbuf_addf(o, "<member><name>hostname</name><value>hvkit</value></member>"
		       "<member><name>date</name><value>%s</value></member>"
		       "<member><name>product_version</name><value>%s</value></member>"
		       "<member><name>product_brand</name><value>hvkit</value></member>"
		       "<member><name>build_number</name><value>0</value></member>"
		       "<member><name>xapi_major</name><value><i4>1</i4></value></member>"
		       "<member><name>xapi_minor</name><value><i4>1</i4></value></member>"
		       "<member><name>export_vsn</name><value><i4>2</i4></value></member>",
		    date, HVKIT_VERSION);
	strbuf_adds(o, "</struct></value></member>"
		       "<member><name>objects</name><value><array><data>\n");
	obj(o, "VM", "Ref:0", &p.vm);
	obj(o, "SR", "Ref:1", &sr);
	for (size_t i = 0; i < nd; i++) {
		char *vbd = xasprintf("Ref:%zu", 2 + 2 * i);
		obj(o, "VBD", vbd, &p.vbd[i]);
		obj(o, "VDI", vm->disks[i].ref, &p.vdi[i]);
		free(vbd);
	}
	for (size_t i = 0; i < p.nnics; i++) {
		char *vif = xasprintf("Ref:%zu", next + 2 * i);
		char *net = xasprintf("Ref:%zu", next + 2 * i + 1);
		obj(o, "VIF", vif, &p.vif[i]);
		obj(o, "network", net, &p.net[i]);
		free(vif);
		free(net);
	}
	strbuf_adds(o, "</data></array></value></member></struct></value>\n");
	xrec_release(&sr);
	xapi_pkg_release(&p);
}

/* ---- reader ---- */

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

/* One object of ova.xml. */
struct object {
	char *cls, *id;
	struct xrec r;
	unsigned line;
	bool used;
};

static struct object *find_obj(struct object *o, size_t n, const char *cls,
			       const char *id)
{
	for (size_t i = 0; id && i < n; i++)
		if (strcmp(o[i].id, id) == 0 && strcmp(o[i].cls, cls) == 0)
			return &o[i];
	return NULL;
}

/*
 * XAPI's import attaches a VBD or VIF to the VM its own VM field names;
 * the VM's VBDs and VIFs lists are derived fields (Xen Orchestra's XVA
 * writer, @xen-orchestra/xva, leaves its VIFs out of them).  Appends to
 * the VM's list the cls objects naming vm_id that it lacks, up to one past
 * max, which xapi_check_refs() then refuses.
 */
static void adopt_children(struct xrec *vm, struct object *o, size_t n,
			   const char *cls, const char *list, const char *vm_id,
			   size_t max)
{
	for (size_t i = 0; i < n; i++) {
		const struct xfield *l = xrec_find(vm, list);
		const char *owner = xrec_get(&o[i].r, "VM");
		bool listed = false;

		if (l && (l->type != XV_LIST || l->nlist > max))
			return;
		if (strcmp(o[i].cls, cls) != 0 || !owner || strcmp(owner, vm_id) != 0)
			continue;
		for (size_t k = 0; l && k < l->nlist; k++)
			listed |= strcmp(l->list[k], o[i].id) == 0;
		if (!listed)
			xrec_list_add(vm, list, o[i].id);
	}
}

static void move_rec(struct xrec *dst, struct object *o)
{
	*dst = o->r;
	o->r = (struct xrec)XREC_INIT;
	o->used = true;
}

int xva_ova_parse(const char *xml, size_t len, struct mv_vm *vm,
		  struct hv_diags *d)
{
	struct xapi_pkg p = { 0 };
	struct object *objs = NULL;
	size_t nobj = 0;
	char **refs = NULL;	/* the VDI id of each disk */
	_cleanup_free_ char *where = NULL;
	xmlDoc *doc;
	int rc = 0;

	if (len > INT32_MAX)
		return hv_errorf(d, "ova.xml is too large");
	if ((rc = lazy_xml2_load(d)) < 0)
		return rc;
	doc = xmlReadMemory(xml, (int)len, "ova.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *e = xmlGetLastError();
		return hv_errorf(d, "ova.xml:%d: %s", e ? e->line : 0,
				 e && e->message ? strstrip(e->message) : "not well-formed XML");
	}
	xmlNode *root = xmlDocGetRootElement(doc);
	xmlNode *objv = xmlrpc_is(root, "value") ? xmlrpc_member(root, "objects") : NULL;
	xmlNode *arr = objv ? xmlrpc_first(objv->children) : NULL;
	xmlNode *data = xmlrpc_is(arr, "array") ? xmlrpc_first(arr->children) : NULL;
	if (!xmlrpc_is(data, "data")) {
		rc = hv_errorf(d, "ova.xml:%u: no 'objects' array (not an XVA export?)",
			       root ? (unsigned)xmlGetLineNo(root) : 0);
		goto out;
	}
	for (xmlNode *o = xmlrpc_first(data->children); o; o = xmlrpc_first(o->next)) {
		char *cls = scalar(xmlrpc_member(o, "class"));
		char *id = scalar(xmlrpc_member(o, "id"));
		xmlNode *snap = xmlrpc_member(o, "snapshot");
		struct xrec r = XREC_INIT;

		if (!cls || !id || !snap || xrec_from_xmlrpc(snap, &r) < 0) {
			rc = hv_errorf(d, "ova.xml:%u: object without class, id or snapshot struct",
				       (unsigned)xmlGetLineNo(o));
			free(cls);
			free(id);
			xrec_release(&r);
			goto out;
		}
		objs = xrealloc(objs, (nobj + 1) * sizeof(*objs));
		objs[nobj++] = (struct object){ cls, id, r, (unsigned)xmlGetLineNo(o), false };
	}
	struct object *vmo = NULL;
	for (size_t i = 0; i < nobj; i++)
		if (strcmp(objs[i].cls, "VM") == 0 && !xrec_get_bool(&objs[i].r, "is_a_snapshot")) {
			/* One VM an export: a second is refused, never dropped. */
			if (vmo) {
				rc = hv_errorf(d, "ova.xml:%u: a second VM object ('%s' after '%s'); an XVA holds one VM",
					       objs[i].line, objs[i].id, vmo->id);
				goto out;
			}
			vmo = &objs[i];
		}
	if (!vmo) {
		rc = hv_errorf(d, "ova.xml: no VM object");
		goto out;
	}
	move_rec(&p.vm, vmo);
	adopt_children(&p.vm, objs, nobj, "VBD", "VBDs", vmo->id, XAPI_MAX_VBDS);
	adopt_children(&p.vm, objs, nobj, "VIF", "VIFs", vmo->id, XAPI_MAX_VIFS);
	/* Each reference once, of the right class: never two disks from one
	 * VBD or one VDI, a disk without its VDI, or an empty NIC. */
	where = xasprintf("ova.xml:%u: VM", vmo->line);
	if ((rc = xapi_check_refs(&p.vm, "VBDs", XAPI_MAX_VBDS, where, d)) < 0 ||
	    (rc = xapi_check_refs(&p.vm, "VIFs", XAPI_MAX_VIFS, where, d)) < 0)
		goto out;
	const struct xfield *vbds = xrec_find(&p.vm, "VBDs");
	for (size_t i = 0; vbds && vbds->type == XV_LIST && i < vbds->nlist; i++) {
		struct object *b = find_obj(objs, nobj, "VBD", vbds->list[i]);
		if (!b) {
			rc = hv_errorf(d, "ova.xml:%u: VM lists VBD '%s', which is not in the file",
				       vmo->line, vbds->list[i]);
			goto out;
		}
		const char *vr = xrec_get(&b->r, "VDI"), *ty = xrec_get(&b->r, "type");
		struct object *v = find_obj(objs, nobj, "VDI", vr);
		if (!xapi_null_ref(vr) && !v) {
			rc = hv_errorf(d, "ova.xml:%u: VBD '%s' names VDI '%s', which is not a VDI of the file",
				       b->line, b->id, vr);
			goto out;
		}
		if (v && v->used) {
			rc = hv_errorf(d, "ova.xml:%u: VBD '%s' attaches VDI '%s', which another VBD attaches",
				       b->line, b->id, vr);
			goto out;
		}
		if (!v && !(ty && strcasecmp(ty, "CD") == 0)) {
			rc = hv_errorf(d, "ova.xml:%u: VBD '%s' is a disk without a VDI", b->line, b->id);
			goto out;
		}
		size_t k = xapi_pkg_add_disk(&p);
		refs = xrealloc(refs, p.ndisks * sizeof(*refs));
		refs[k] = v ? xstrdup(v->id) : NULL;
		move_rec(&p.vbd[k], b);
		if (v)
			move_rec(&p.vdi[k], v);
	}
	/* VDIs no VBD names (disks of a bare export): disks too. */
	for (size_t i = 0; i < nobj; i++) {
		if (objs[i].used || strcmp(objs[i].cls, "VDI") != 0)
			continue;
		size_t k = xapi_pkg_add_disk(&p);
		refs = xrealloc(refs, p.ndisks * sizeof(*refs));
		refs[k] = xstrdup(objs[i].id);
		move_rec(&p.vdi[k], &objs[i]);
	}
	for (size_t i = 0; i < p.ndisks; i++) {
		uint64_t sz;
		const char *vs = xrec_get(&p.vdi[i], "virtual_size");
		if (refs[i] && (!vs || parse_u64(vs, 10, &sz) < 0 || sz > (1ull << 56))) {
			struct object *v = find_obj(objs, nobj, "VDI", refs[i]);
			rc = hv_errorf(d, "ova.xml:%u: VDI %s has a bad virtual_size '%s'",
				       v ? v->line : 0, refs[i], vs ? vs : "");
			goto out;
		}
	}
	const struct xfield *vifs = xrec_find(&p.vm, "VIFs");
	for (size_t i = 0; vifs && vifs->type == XV_LIST && i < vifs->nlist; i++) {
		struct object *f = find_obj(objs, nobj, "VIF", vifs->list[i]);
		if (!f) {
			rc = hv_errorf(d, "ova.xml:%u: VM lists VIF '%s', which is not a VIF of the file",
				       vmo->line, vifs->list[i]);
			goto out;
		}
		struct object *n = find_obj(objs, nobj, "network", xrec_get(&f->r, "network"));
		size_t k = xapi_pkg_add_nic(&p);
		p.vif[k] = f->r;
		f->r = (struct xrec)XREC_INIT;
		if (n) {
			/* A network may serve several VIFs: copy its fields. */
			for (size_t m = 0; m < n->r.n; m++)
				if (n->r.f[m].type != XV_MAP && n->r.f[m].type != XV_LIST)
					xrec_str(&p.net[k], n->r.f[m].name, n->r.f[m].value);
			const char *dflt = xrec_map_get(&n->r, "other_config", "hvkit-default-bridge");
			if (dflt)
				xrec_map_set(&p.net[k], "other_config", "hvkit-default-bridge", dflt);
		}
	}
	rc = xapi_to_vm(&p, vm, "ova.xml", d);
	for (size_t i = 0; rc == 0 && i < vm->ndisks; i++)
		vm->disks[i].ref = refs[i] ? xstrdup(refs[i]) : NULL;
out:
	for (size_t i = 0; i < p.ndisks && refs; i++)
		free(refs[i]);
	free(refs);
	for (size_t i = 0; i < nobj; i++) {
		free(objs[i].cls);
		free(objs[i].id);
		xrec_release(&objs[i].r);
	}
	free(objs);
	xapi_pkg_release(&p);
	xmlFreeDoc(doc);
	return rc;
}
