/*
 * LD_PRELOAD library for the tests: the first time the process asks where
 * the file with inode BLIT_TEST_GROW_INODE ends (lseek SEEK_END), 16 KiB of
 * 'G' are appended to it first. That is another process appending at the
 * worst moment, made certain instead of left to chance.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int grown;

static void grow_once(int fd)
{
	const char *want = getenv("BLIT_TEST_GROW_INODE");
	struct stat st;
	char path[64], data[16384];

	if (!want || fstat(fd, &st) != 0 || (unsigned long long)st.st_ino != strtoull(want, NULL, 10))
		return;
	if (__sync_lock_test_and_set(&grown, 1))
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int out = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (out < 0)
		return;
	memset(data, 'G', sizeof(data));
	if (write(out, data, sizeof(data)) != (ssize_t)sizeof(data))
		grown = 0;
	close(out);
}

static off_t real_lseek(int fd, off_t offset, int whence)
{
	static off_t (*next)(int, off_t, int);
	if (!next)
		next = (off_t (*)(int, off_t, int))dlsym(RTLD_NEXT, "lseek");
	return next(fd, offset, whence);
}

off_t lseek(int fd, off_t offset, int whence)
{
	if (whence == SEEK_END)
		grow_once(fd);
	return real_lseek(fd, offset, whence);
}

off_t lseek64(int fd, off_t offset, int whence)
{
	return lseek(fd, offset, whence);
}
