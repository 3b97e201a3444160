/*
 * Loads the linux-x64-musl build's native shim the way Bun's musl runtime
 * does (dlopen from musl's loader) and calls three of its functions; for the
 * tests only. Bun's musl runtime itself cannot start on this Debian machine
 * (it needs Alpine's libstdc++), so this is how the shim is proven to load.
 *
 *   load-shim SHIM FILE   prints: abi N / strerror(ENOENT) ... / size N
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: load-shim SHIM FILE\n");
		return 2;
	}
	void *shim = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!shim) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	int (*abi_version)(void) = (int (*)(void))dlsym(shim, "blit_abi_version");
	int (*str_error)(int, char *, uint32_t) = (int (*)(int, char *, uint32_t))dlsym(shim, "blit_strerror");
	int (*stat_x)(int, const char *, int, uint32_t, void *) = (int (*)(int, const char *, int, uint32_t, void *))dlsym(shim, "blit_statx");
	if (!abi_version || !str_error || !stat_x) {
		fprintf(stderr, "dlsym: %s\n", dlerror());
		return 1;
	}
	char message[128];
	str_error(ENOENT, message, sizeof message);
	/* struct statx: 256 bytes; stx_size is the u64 at offset 40. */
	uint64_t buf[32];
	memset(buf, 0, sizeof buf);
	int rc = stat_x(AT_FDCWD, argv[2], 0, 0x7ff /* STATX_BASIC_STATS */, buf);
	printf("abi %d\nstrerror(ENOENT) %s\nstatx %d size %llu\n", abi_version(), message, rc, (unsigned long long)buf[5]);
	return 0;
}
