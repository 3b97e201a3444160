/*
 * older-kernel [--before-5.6] COMMAND [ARG...]: runs COMMAND as on a kernel
 * before Linux 6.6, where fchmodat2 and the *xattrat calls do not exist
 * (ENOSYS), so that the shim's fallbacks through /proc/self/fd run on a
 * newer kernel; with --before-5.6, openat2 is missing too. A seccomp
 * filter, as a container runtime's profile makes it; the numbers are those
 * of x86_64 and arm64 alike (the generic table's).
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define NOSYS(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS)

/* No system call has this number: the rule that matches it matches nothing. */
#define NO_CALL 0xffffffff

int main(int argc, char **argv)
{
	int before_5_6 = argc > 1 && strcmp(argv[1], "--before-5.6") == 0;
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		NOSYS(before_5_6 ? 437 : NO_CALL), /* openat2 */
		NOSYS(452), /* fchmodat2 */
		NOSYS(463), /* setxattrat */
		NOSYS(464), /* getxattrat */
		NOSYS(465), /* listxattrat */
		NOSYS(466), /* removexattrat */
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(filter) / sizeof(filter[0]), .filter = filter };

	argc -= before_5_6;
	argv += before_5_6;
	if (argc < 2) {
		fprintf(stderr, "usage: older-kernel [--before-5.6] COMMAND [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		perror("older-kernel: seccomp");
		return 127;
	}
	execvp(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
