/*
 * walk.c - the least a second run can do, as a yardstick for blit's
 * --skip-unchanged: list every directory of the trees given and lstat every
 * entry (the size and mtime rsync's quick check compares), N threads
 * sharing one stack of directories, so that the disk has N reads at a time.
 * It compares nothing and writes nothing: no second run can take less.
 *
 * Build (bench/run.ts does this):
 *   gcc -O2 -pthread -Wall -Wextra -o bench/out/walk bench/walk.c
 *
 * Usage: walk THREADS TREE...   prints the entries statted
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t more = PTHREAD_COND_INITIALIZER;
static char **stack;
static size_t count, room;
static unsigned listing;	/* threads listing a directory now: they may push more */
static unsigned long long statted;
static int failures;

/* Called locked. */
static void push(char *path)
{
	if (count == room) {
		room = room ? room * 2 : 1024;
		stack = realloc(stack, room * sizeof(*stack));
		if (!stack) {
			perror("walk");
			exit(1);
		}
	}
	stack[count++] = path;
}

/* Lists one directory, stats each entry, and pushes its subdirectories. */
static void list(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	unsigned long long n = 0;
	struct dirent *d;
	struct stat st;

	if (!dir) {
		fprintf(stderr, "walk: %s: cannot open\n", path);
		if (fd >= 0)
			close(fd);
		__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
		return;
	}
	while ((d = readdir(dir))) {
		char *child;

		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (fstatat(fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
			continue;
		}
		n++;
		if (!S_ISDIR(st.st_mode))
			continue;
		if (asprintf(&child, "%s/%s", path, d->d_name) < 0)
			exit(1);
		pthread_mutex_lock(&lock);
		push(child);
		pthread_cond_signal(&more);
		pthread_mutex_unlock(&lock);
	}
	closedir(dir);
	__atomic_add_fetch(&statted, n, __ATOMIC_RELAXED);
}

static void *walker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		while (count == 0 && listing > 0)
			pthread_cond_wait(&more, &lock);
		if (count == 0)
			break;
		char *path = stack[--count];

		listing++;
		pthread_mutex_unlock(&lock);
		list(path);
		free(path);
		pthread_mutex_lock(&lock);
		listing--;
		/* The last directory listed with nothing left: the others stop too. */
		if (count == 0 && listing == 0)
			pthread_cond_broadcast(&more);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t *threads;
	int nthreads;

	if (argc < 3 || (nthreads = atoi(argv[1])) < 1) {
		fprintf(stderr, "usage: walk THREADS TREE...\n");
		return 2;
	}
	for (int i = argc - 1; i >= 2; i--)
		push(strdup(argv[i]));
	threads = calloc(nthreads, sizeof(*threads));
	for (int i = 0; i < nthreads; i++)
		pthread_create(&threads[i], NULL, walker, NULL);
	for (int i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	printf("%llu\n", statted);
	return failures ? 1 : 0;
}
