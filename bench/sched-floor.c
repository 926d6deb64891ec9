/* SPDX-License-Identifier: MIT */
/*
 * The floor of a cgroup tick, for bench/sched.sh: one pread and one
 * number parse of cpuacct.usage per guest, nothing else.  Opens the
 * files named on stdin (one a line), then reads them all PASSES times,
 * sleeping SLEEP_MS between passes as the daemon sleeps between ticks
 * (so the caches are as cold as the daemon's), and prints the CPU time
 * of one pass in ns (CLOCK_PROCESS_CPUTIME_ID, the sleep's syscall
 * included, as the daemon's tick includes its own).
 *   sched-floor PASSES SLEEP_MS < list
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static int fd[100000];
	char line[4096], buf[64];
	int n = 0, passes = argc > 1 ? atoi(argv[1]) : 100;
	int sleep_ms = argc > 2 ? atoi(argv[2]) : 0;
	struct timespec nap = { sleep_ms / 1000, (sleep_ms % 1000) * 1000000L };
	unsigned long long sum = 0;
	struct timespec a, b;

	while (n < 100000 && fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = 0;
		if ((fd[n] = open(line, O_RDONLY | O_CLOEXEC)) < 0) {
			perror(line);
			return 1;
		}
		n++;
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	for (int p = 0; p < passes; p++) {
		for (int i = 0; i < n; i++) {
			ssize_t k = pread(fd[i], buf, sizeof(buf) - 1, 0);
			buf[k > 0 ? k : 0] = 0;
			sum += strtoull(buf, NULL, 10);
		}
		if (sleep_ms)
			nanosleep(&nap, NULL);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	printf("%.0f %llu\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / passes, sum & 1);
	return 0;
}
