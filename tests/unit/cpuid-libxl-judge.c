/* SPDX-License-Identifier: MIT */
/*
 * The judge of hvkit's Xen output: Xen's own parsers read it.
 *
 *   cpuid-libxl-judge xl 'host,avx2=0,...'      (the xl.cfg string form)
 *   cpuid-libxl-judge xend '0x7,0:ebx=...' ...  (the xl.cfg list form)
 *
 * The string form is split on ',' and each word after "host" goes to
 * libxl_cpuid_parse_config(), as xl's parse_config_data() does; each list
 * item goes to libxl_cpuid_parse_config_xend().  The resulting policy is
 * printed as libxl's own JSON (libxl_cpuid_policy_list_gen_json()).
 * Exit status: 0, 1 when libxl rejects a word (which, and its code, on
 * stderr), 2 on a usage error.  Needs no hypervisor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxl.h>

/* libxl_json.h needs yajl's headers, which Debian's libxen-dev does not
 * pull in; these are yajl 2's declarations of what the judge uses. */
typedef struct yajl_gen_t *yajl_gen;
yajl_gen yajl_gen_alloc(const void *alloc_funcs);
int yajl_gen_get_buf(yajl_gen g, const unsigned char **buf, size_t *len);
void yajl_gen_free(yajl_gen g);
int libxl_cpuid_policy_list_gen_json(yajl_gen hand, libxl_cpuid_policy_list *p);

int main(int argc, char **argv)
{
	libxl_cpuid_policy_list list = NULL;
	const unsigned char *buf;
	size_t len;
	yajl_gen g;
	int rc = 0;

	if (argc < 3 || (strcmp(argv[1], "xl") && strcmp(argv[1], "xend"))) {
		fprintf(stderr, "usage: cpuid-libxl-judge xl STRING | xend ITEM...\n");
		return 2;
	}
	if (!strcmp(argv[1], "xl")) {
		char *copy = strdup(argv[2]), *save = NULL;
		char *w = strtok_r(copy, ",", &save);

		if (!w || strcmp(w, "host")) {
			fprintf(stderr, "first word must be \"host\"\n");
			return 1;
		}
		while ((w = strtok_r(NULL, ",", &save))) {
			int r = libxl_cpuid_parse_config(&list, w);

			if (r) {
				fprintf(stderr, "libxl_cpuid_parse_config: '%s': %d\n", w, r);
				rc = 1;
			}
		}
		free(copy);
	} else {
		for (int i = 2; i < argc; i++) {
			int r = libxl_cpuid_parse_config_xend(&list, argv[i]);

			if (r) {
				fprintf(stderr, "libxl_cpuid_parse_config_xend: '%s': %d\n", argv[i], r);
				rc = 1;
			}
		}
	}
	g = yajl_gen_alloc(NULL);
	if (!g || libxl_cpuid_policy_list_gen_json(g, &list) != 0 ||
	    yajl_gen_get_buf(g, &buf, &len) != 0) {
		fprintf(stderr, "libxl_cpuid_policy_list_gen_json failed\n");
		return 1;
	}
	fwrite(buf, 1, len, stdout);
	fputc('\n', stdout);
	yajl_gen_free(g);
	libxl_cpuid_dispose(&list);
	return rc;
}
