/*
 * holder.exe - another Windows process that holds a file the way users'
 * programs do, for the Wine tests (never shipped):
 *
 *   holder.exe lock PATH OFFSET LENGTH   an exclusive byte-range lock (LockFileEx)
 *   holder.exe deny PATH                 the file open with no sharing at all
 *
 * It prints "held" once it holds the file and lets go when its standard
 * input ends.
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>

int wmain(int argc, wchar_t **argv)
{
	if (argc < 3) return 2;
	int lock = wcscmp(argv[1], L"lock") == 0;
	HANDLE h = CreateFileW(argv[2], GENERIC_READ | GENERIC_WRITE, lock ? FILE_SHARE_READ | FILE_SHARE_WRITE : 0,
			       NULL, OPEN_EXISTING, 0, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		fprintf(stderr, "holder: cannot open: error %lu\n", GetLastError());
		return 1;
	}
	if (lock) {
		if (argc < 5) return 2;
		ULONGLONG offset = _wcstoui64(argv[3], NULL, 10), length = _wcstoui64(argv[4], NULL, 10);
		OVERLAPPED at = { 0 };
		at.Offset = (DWORD)offset;
		at.OffsetHigh = (DWORD)(offset >> 32);
		if (!LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, (DWORD)length, (DWORD)(length >> 32), &at)) {
			fprintf(stderr, "holder: cannot lock: error %lu\n", GetLastError());
			return 1;
		}
	}
	printf("held\n");
	fflush(stdout);
	char buf[64];
	DWORD got;
	while (ReadFile(GetStdHandle(STD_INPUT_HANDLE), buf, sizeof buf, &got, NULL) && got > 0) {
	}
	CloseHandle(h);
	return 0;
}
