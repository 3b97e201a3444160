/*
 * floor.c - the least a tree copy can do, as a yardstick for blit: walk the
 * source, make its directories, and copy each regular file on N threads with
 * open, create, copy_file_range, futimens and close. Nothing else: no
 * symlinks, no owners, no modes beyond the create mode, no directory times,
 * no temporary names. No real tool can do less work, so none should be much
 * faster.
 *
 * Build (bench/run.ts does this):
 *   gcc -O2 -pthread -Wall -Wextra -o bench/out/floor bench/floor.c
 *
 * Usage: floor THREADS SOURCE DEST   (DEST must not exist)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char **files;
static size_t nfiles, capacity;
static atomic_size_t next_file;
static atomic_int failures;
static size_t src_len;
static const char *src_root, *dst_root;

static char *dest_path(const char *src)
{
	char *out;

	if (asprintf(&out, "%s%s", dst_root, src + src_len) < 0)
		return NULL;
	return out;
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D) {
		char *dst = dest_path(path);

		if (!dst || mkdir(dst, st->st_mode & 07777) < 0) {
			fprintf(stderr, "floor: mkdir %s: %s\n", dst ? dst : path, strerror(errno));
			free(dst);
			return -1;
		}
		free(dst);
	} else if (type == FTW_F && S_ISREG(st->st_mode)) {
		if (nfiles == capacity) {
			capacity = capacity ? capacity * 2 : 4096;
			files = realloc(files, capacity * sizeof(*files));
			if (!files)
				return -1;
		}
		files[nfiles++] = strdup(path);
	}
	return 0;
}

static int copy_one(const char *src)
{
	struct stat st;
	struct timespec times[2];
	char *dst = dest_path(src);
	int in = -1, out = -1, ret = -1;
	ssize_t n;

	if (!dst)
		return -1;
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0)
		goto done;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 0777);
	if (out < 0)
		goto done;
	do {
		n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
	} while (n > 0);
	if (n < 0)
		goto done;
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	ret = futimens(out, times);
done:
	if (ret < 0)
		fprintf(stderr, "floor: %s: %s\n", src, strerror(errno));
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	free(dst);
	return ret;
}

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		size_t i = atomic_fetch_add(&next_file, 1);

		if (i >= nfiles)
			return NULL;
		if (copy_one(files[i]) < 0)
			atomic_fetch_add(&failures, 1);
	}
}

int main(int argc, char **argv)
{
	pthread_t *threads;
	int nthreads;

	if (argc != 4 || (nthreads = atoi(argv[1])) < 1) {
		fprintf(stderr, "usage: floor THREADS SOURCE DEST\n");
		return 2;
	}
	src_root = argv[2];
	dst_root = argv[3];
	src_len = strlen(src_root);
	if (nftw(src_root, visit, 64, FTW_PHYS) < 0)
		return 1;
	threads = calloc(nthreads, sizeof(*threads));
	for (int i = 0; i < nthreads; i++)
		pthread_create(&threads[i], NULL, worker, NULL);
	for (int i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	return atomic_load(&failures) ? 1 : 0;
}
