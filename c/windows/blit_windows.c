/*
 * blit_windows.c - blit's native shim for Windows: fixed-arity wrappers over
 * ntdll and kernel32 for the calls the copy engine needs.
 *
 * Build (build.ts does this; the DLL needs only system DLLs):
 *
 *   x86_64-w64-mingw32-gcc -O2 -shared -static-libgcc -Wall -Wextra -Werror -I c \
 *       -o build/shim/windows-x64/blit.dll c/windows/blit_windows.c -lntdll
 *
 * Conventions (c/blit_abi.h has the common ones):
 *   - a HANDLE crosses as int64_t; BLIT_CWD (-100) stands for "the current
 *     directory", and a name given with it is a whole Win32 path (drive
 *     letters, UNC, \\?\, relative), resolved as Windows does
 *     (GetFullPathNameW) and opened as an NT path (\??\...), never under
 *     MAX_PATH's limit;
 *   - any other directory handle opens a name relative to it
 *     (OBJECT_ATTRIBUTES.RootDirectory), with FILE_OPEN_REPARSE_POINT unless
 *     asked to follow: the Windows form of openat + O_NOFOLLOW, and no
 *     MAX_PATH anywhere;
 *   - names are WTF-8 bytes with a length (no NUL), UTF-16 inside; WTF-8 so
 *     that a name holding an unpaired surrogate comes back as it was;
 *   - a failure is negative: -((win32 << 8) | kind), where kind is one of the
 *     few POSIX errno numbers the engine acts on (Linux's values) and win32 is
 *     the Windows error code whose FormatMessage text the user is shown.
 * Nothing here calls back into JavaScript, and no state is kept between
 * calls but a counter and what this process learnt about rename and delete.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <winioctl.h>
#include <winternl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../blit_abi.h"

#define BLIT_EXPORT __declspec(dllexport)
#define BLIT_CWD (-100)

/* The engine's error kinds: Linux's errno values (ffi/windows/shim.ts). */
enum kind {
	K_EPERM = 1, K_ENOENT = 2, K_EIO = 5, K_ENXIO = 6, K_EBADF = 9, K_ENOMEM = 12, K_EACCES = 13,
	K_EEXIST = 17, K_EXDEV = 18, K_ENOTDIR = 20, K_EISDIR = 21, K_EINVAL = 22,
	K_ENOSPC = 28, K_EMLINK = 31, K_ENOTEMPTY = 39, K_ELOOP = 40, K_ENODATA = 61,
	K_EOPNOTSUPP = 95, K_EDQUOT = 122, K_ECANCELED = 125,
};

/* ntdll calls and classes mingw's winternl.h leaves out. */
NTSTATUS NTAPI NtReadFile(HANDLE, HANDLE, PVOID, PVOID, PIO_STATUS_BLOCK, PVOID, ULONG, PLARGE_INTEGER, PULONG);
NTSTATUS NTAPI NtWriteFile(HANDLE, HANDLE, PVOID, PVOID, PIO_STATUS_BLOCK, PVOID, ULONG, PLARGE_INTEGER, PULONG);
NTSTATUS NTAPI NtFlushBuffersFile(HANDLE, PIO_STATUS_BLOCK);
NTSTATUS NTAPI NtQueryDirectoryFile(HANDLE, HANDLE, PVOID, PVOID, PIO_STATUS_BLOCK, PVOID, ULONG, FILE_INFORMATION_CLASS, BOOLEAN, PUNICODE_STRING, BOOLEAN);
NTSTATUS NTAPI RtlGetVersion(PRTL_OSVERSIONINFOW);
NTSTATUS NTAPI NtQuerySecurityObject(HANDLE, SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, ULONG, PULONG);
NTSTATUS NTAPI NtSetSecurityObject(HANDLE, SECURITY_INFORMATION, PSECURITY_DESCRIPTOR);
NTSTATUS NTAPI NtOpenProcessToken(HANDLE, ACCESS_MASK, PHANDLE);
NTSTATUS NTAPI NtAdjustPrivilegesToken(HANDLE, BOOLEAN, PTOKEN_PRIVILEGES, ULONG, PTOKEN_PRIVILEGES, PULONG);
NTSTATUS NTAPI NtQueryInformationToken(HANDLE, TOKEN_INFORMATION_CLASS, PVOID, ULONG, PULONG);
BOOLEAN NTAPI RtlValidRelativeSecurityDescriptor(PSECURITY_DESCRIPTOR, ULONG, SECURITY_INFORMATION);

#define CLASS_DIRECTORY ((FILE_INFORMATION_CLASS)1)
#define CLASS_MODE ((FILE_INFORMATION_CLASS)16)
#define CLASS_BASIC ((FILE_INFORMATION_CLASS)4)
#define CLASS_RENAME ((FILE_INFORMATION_CLASS)10)
#define CLASS_LINK ((FILE_INFORMATION_CLASS)11)
#define CLASS_DISPOSITION ((FILE_INFORMATION_CLASS)13)
#define CLASS_INTERNAL ((FILE_INFORMATION_CLASS)6)
#define CLASS_ALL ((FILE_INFORMATION_CLASS)18)
#define CLASS_END_OF_FILE ((FILE_INFORMATION_CLASS)20)
#define CLASS_ATTRIBUTE_TAG ((FILE_INFORMATION_CLASS)35)
#define CLASS_ID_BOTH_DIRECTORY ((FILE_INFORMATION_CLASS)37)
#define CLASS_DISPOSITION_EX ((FILE_INFORMATION_CLASS)64)
#define CLASS_RENAME_EX ((FILE_INFORMATION_CLASS)65)
#define CLASS_CASE_SENSITIVE ((FILE_INFORMATION_CLASS)71)
#define FS_VOLUME ((FS_INFORMATION_CLASS)1)
#define FS_SIZE ((FS_INFORMATION_CLASS)3)
#define FS_DEVICE ((FS_INFORMATION_CLASS)4)
#define FS_ATTRIBUTE ((FS_INFORMATION_CLASS)5)

#ifndef STATUS_NO_MORE_FILES
#define STATUS_NO_MORE_FILES ((NTSTATUS)0x80000006L)
#endif
#define ST_END_OF_FILE ((NTSTATUS)0xC0000011L)
#define ST_BUFFER_OVERFLOW ((NTSTATUS)0x80000005L)
#define ST_BUFFER_TOO_SMALL ((NTSTATUS)0xC0000023L)
#define ST_INVALID_PARAMETER ((NTSTATUS)0xC000000DL)
#define ST_ACCESS_DENIED ((NTSTATUS)0xC0000022L)

#define RENAME_EX_REPLACE_IF_EXISTS 0x1
#define RENAME_EX_POSIX_SEMANTICS 0x2
#define RENAME_EX_IGNORE_READONLY 0x40
#define DISPOSITION_EX_DELETE 0x1
#define DISPOSITION_EX_POSIX_SEMANTICS 0x2
#define DISPOSITION_EX_IGNORE_READONLY 0x10
#define CS_FLAG_CASE_SENSITIVE_DIR 0x1 /* FILE_CASE_SENSITIVE_INFORMATION.Flags */

#define SHARE_ALL (FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
#define SYMLINK_FLAG_RELATIVE 1
#define BLOCK_REFCOUNTING 0x08000000 /* FILE_SUPPORTS_BLOCK_REFCOUNTING */
#define DEVICE_REMOTE 0x10 /* FILE_REMOTE_DEVICE: a network redirector's volume (SMB, WebDAV...) */
#ifndef FSCTL_DUPLICATE_EXTENTS_TO_FILE
#define FSCTL_DUPLICATE_EXTENTS_TO_FILE CTL_CODE(FILE_DEVICE_FILE_SYSTEM, 209, METHOD_BUFFERED, FILE_WRITE_DATA)
#endif

/* What blit_open opens: the contract's openDir, openRead, createFile, openWrite. */
#define OPEN_DIR 1
#define OPEN_READ 2
#define OPEN_CREATE 3      /* a new file; EEXIST if the name is taken */
#define OPEN_TRUNCATE 4    /* a new file, or the existing one emptied */
#define OPEN_WRITE 5       /* an existing file, as it is */
#define OPEN_READ_DISK 6   /* for reading past the cache (FILE_FLAG_NO_BUFFERING): blit_pread_disk */
#define OPEN_FOLLOW 0x100  /* follow a link under the name */

/* Calls into the shim by this thread: the FFI crossings --stats reports. */
static __thread int64_t native_calls;

/* ------------------------------------------------------------------ errors */

static int kind_of_status(NTSTATUS st)
{
	switch ((uint32_t)st) {
	case 0xC0000034: /* OBJECT_NAME_NOT_FOUND */
	case 0xC000003A: /* OBJECT_PATH_NOT_FOUND */
	case 0xC000000F: /* NO_SUCH_FILE */
	case 0xC0000056: /* DELETE_PENDING */
	case 0xC000003B: /* OBJECT_PATH_SYNTAX_BAD */
	case 0xC00000CC: /* BAD_NETWORK_NAME */
		return K_ENOENT;
	case 0xC0000035: return K_EEXIST;    /* OBJECT_NAME_COLLISION */
	case 0xC0000103: return K_ENOTDIR;   /* NOT_A_DIRECTORY */
	case 0xC00000BA: return K_EISDIR;    /* FILE_IS_A_DIRECTORY */
	case 0xC0000022: /* ACCESS_DENIED */
	case 0xC0000121: /* CANNOT_DELETE */
	case 0xC0000043: /* SHARING_VIOLATION */
	case 0xC00000A2: /* MEDIA_WRITE_PROTECTED */
		return K_EACCES;
	case 0xC0000061: /* PRIVILEGE_NOT_HELD */
	case 0xC000005A: /* INVALID_OWNER: an owner other than the caller, without SeRestorePrivilege */
	case 0xC000005B: /* INVALID_PRIMARY_GROUP */
		return K_EPERM;
	case 0xC0000101: return K_ENOTEMPTY; /* DIRECTORY_NOT_EMPTY */
	case 0xC00000D4: return K_EXDEV;     /* NOT_SAME_DEVICE */
	case 0xC000007F: return K_ENOSPC;    /* DISK_FULL */
	case 0xC0000044: return K_EDQUOT;    /* QUOTA_EXCEEDED */
	case 0xC0000265: return K_EMLINK;    /* TOO_MANY_LINKS */
	case 0xC0000017: /* NO_MEMORY */
	case 0xC000009A: /* INSUFFICIENT_RESOURCES */
		return K_ENOMEM;
	case 0xC0000002: /* NOT_IMPLEMENTED */
	case 0xC0000003: /* INVALID_INFO_CLASS */
	case 0xC0000010: /* INVALID_DEVICE_REQUEST */
	case 0xC00000BB: /* NOT_SUPPORTED */
		return K_EOPNOTSUPP;
	case 0x8000002D: /* STOPPED_ON_SYMLINK */
	case 0xC0000279: /* IO_REPARSE_TAG_NOT_HANDLED */
	case 0xC0000280: /* REPARSE_POINT_NOT_RESOLVED */
		return K_ELOOP;
	case 0xC0000120: return K_ECANCELED; /* CANCELLED */
	case 0xC0000008: return K_EBADF;     /* INVALID_HANDLE */
	case 0xC000000D: /* INVALID_PARAMETER */
	case 0xC0000033: /* OBJECT_NAME_INVALID */
	case 0xC0000275: /* NOT_A_REPARSE_POINT */
		return K_EINVAL;
	default:
		return K_EIO;
	}
}

static int kind_of_win32(DWORD code)
{
	switch (code) {
	case ERROR_FILE_NOT_FOUND: case ERROR_PATH_NOT_FOUND: case ERROR_INVALID_DRIVE:
	case ERROR_BAD_NETPATH: case ERROR_BAD_NET_NAME:
		return K_ENOENT;
	case ERROR_ACCESS_DENIED: case ERROR_SHARING_VIOLATION: case ERROR_WRITE_PROTECT:
		return K_EACCES;
	case ERROR_FILE_EXISTS: case ERROR_ALREADY_EXISTS: return K_EEXIST;
	case ERROR_DIRECTORY: return K_ENOTDIR;
	case ERROR_DIR_NOT_EMPTY: return K_ENOTEMPTY;
	case ERROR_NOT_SAME_DEVICE: return K_EXDEV;
	case ERROR_DISK_FULL: case ERROR_HANDLE_DISK_FULL: return K_ENOSPC;
	case ERROR_NOT_SUPPORTED: case ERROR_INVALID_FUNCTION: case ERROR_CALL_NOT_IMPLEMENTED:
		return K_EOPNOTSUPP;
	case ERROR_PRIVILEGE_NOT_HELD: case ERROR_INVALID_OWNER: case ERROR_INVALID_PRIMARY_GROUP:
		return K_EPERM;
	case ERROR_NOT_A_REPARSE_POINT: case ERROR_INVALID_PARAMETER: case ERROR_INVALID_NAME:
		return K_EINVAL;
	case ERROR_TOO_MANY_LINKS: return K_EMLINK;
	case ERROR_NOT_ENOUGH_MEMORY: case ERROR_OUTOFMEMORY: return K_ENOMEM;
	case ERROR_CANCELLED: case ERROR_OPERATION_ABORTED: return K_ECANCELED;
	case ERROR_INVALID_HANDLE: return K_EBADF;
	case ERROR_CANT_RESOLVE_FILENAME: return K_ELOOP;
	default: return K_EIO;
	}
}

static int64_t fail_code(DWORD win32, int kind)
{
	return -(int64_t)(((uint64_t)win32 << 8) | (uint64_t)kind);
}

static int64_t fail_status(NTSTATUS st)
{
	return fail_code(RtlNtStatusToDosError(st), kind_of_status(st));
}

static int64_t fail_last(void)
{
	DWORD code = GetLastError();
	return fail_code(code, kind_of_win32(code));
}

/* A failure of the engine's own making (a symlink where none may be). */
static int64_t fail_kind(int kind)
{
	DWORD win32 = kind == K_ENOENT ? ERROR_FILE_NOT_FOUND : kind == K_ENOTDIR ? ERROR_DIRECTORY
		: kind == K_EISDIR ? 336 /* ERROR_DIRECTORY_NOT_SUPPORTED */ : kind == K_ELOOP ? ERROR_CANT_RESOLVE_FILENAME
		: kind == K_EOPNOTSUPP || kind == K_ENODATA ? ERROR_NOT_SUPPORTED : kind == K_ENOMEM ? ERROR_NOT_ENOUGH_MEMORY
		: ERROR_INVALID_PARAMETER;
	return fail_code(win32, kind);
}

/* ------------------------------------------------------------------ names */

/*
 * WTF-8 to UTF-16: UTF-8 that may also encode surrogates one by one. Returns
 * the code units written (no NUL), or -1 for bytes that are not WTF-8 or
 * do not fit. With slashes, '/' becomes '\' (a relative name's separators).
 */
static int64_t wtf8_to_utf16(const uint8_t *s, uint32_t n, WCHAR *out, uint32_t cap, int slashes)
{
	uint32_t i = 0, o = 0;
	while (i < n) {
		uint32_t c = s[i], need;
		if (c < 0x80) need = 0;
		else if (c >= 0xc2 && c < 0xe0) { need = 1; c &= 0x1f; }
		else if (c >= 0xe0 && c < 0xf0) { need = 2; c &= 0x0f; }
		else if (c >= 0xf0 && c < 0xf5) { need = 3; c &= 0x07; }
		else return -1;
		if (i + need >= n + (need == 0)) return -1;
		for (uint32_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80) return -1;
			c = (c << 6) | (s[i + k] & 0x3f);
		}
		i += need + 1;
		if (c >= 0x10000) {
			if (o + 2 > cap) return -1;
			c -= 0x10000;
			out[o++] = (WCHAR)(0xd800 | (c >> 10));
			out[o++] = (WCHAR)(0xdc00 | (c & 0x3ff));
		} else {
			if (o + 1 > cap) return -1;
			out[o++] = (WCHAR)(slashes && c == '/' ? '\\' : c);
		}
	}
	return o;
}

/* UTF-16 (maybe ill-formed) to WTF-8. Returns the bytes it takes, writing only what fits. */
static uint32_t utf16_to_wtf8(const WCHAR *w, uint32_t units, uint8_t *out, uint32_t cap)
{
	uint32_t o = 0;
	for (uint32_t i = 0; i < units; i++) {
		uint32_t c = w[i];
		if (c >= 0xd800 && c < 0xdc00 && i + 1 < units && w[i + 1] >= 0xdc00 && w[i + 1] < 0xe000)
			c = 0x10000 + ((c - 0xd800) << 10) + (w[++i] - 0xdc00);
		uint8_t b[4];
		uint32_t len;
		if (c < 0x80) { b[0] = (uint8_t)c; len = 1; }
		else if (c < 0x800) { b[0] = 0xc0 | (c >> 6); b[1] = 0x80 | (c & 0x3f); len = 2; }
		else if (c < 0x10000) { b[0] = 0xe0 | (c >> 12); b[1] = 0x80 | ((c >> 6) & 0x3f); b[2] = 0x80 | (c & 0x3f); len = 3; }
		else { b[0] = 0xf0 | (c >> 18); b[1] = 0x80 | ((c >> 12) & 0x3f); b[2] = 0x80 | ((c >> 6) & 0x3f); b[3] = 0x80 | (c & 0x3f); len = 4; }
		for (uint32_t k = 0; k < len; k++, o++)
			if (o < cap) out[o] = b[k];
	}
	return o;
}

/*
 * An NT name for (dir, name): relative to dir, or for BLIT_CWD the NT path
 * of a Win32 path; `absolute` says which. Free it with free_nt_name.
 */
struct nt_name {
	UNICODE_STRING us;
	int absolute;
};

static int64_t set_nt_name(struct nt_name *out, const WCHAR *prefix, const WCHAR *rest, size_t rest_units)
{
	size_t prefix_units = wcslen(prefix), units = prefix_units + rest_units;
	if (units > 32767) return fail_code(ERROR_FILENAME_EXCED_RANGE, K_EINVAL);
	WCHAR *buf = HeapAlloc(GetProcessHeap(), 0, (units + 1) * sizeof(WCHAR));
	if (!buf) return fail_kind(K_ENOMEM);
	memcpy(buf, prefix, prefix_units * sizeof(WCHAR));
	memcpy(buf + prefix_units, rest, rest_units * sizeof(WCHAR));
	buf[units] = 0;
	out->us.Buffer = buf;
	out->us.Length = out->us.MaximumLength = (USHORT)(units * sizeof(WCHAR));
	out->absolute = 1;
	return 0;
}

/* "\\?\" or "\\.\": a path in the device namespace. */
static int is_device_prefix(const WCHAR *w)
{
	return w[0] == '\\' && w[1] == '\\' && (w[2] == '?' || w[2] == '.') && w[3] == '\\';
}

/*
 * GetFullPathNameW's answer in a heap buffer the caller frees: its length in
 * units, or a negative error. A relative path is resolved against the
 * process's directory, which another thread may change between asking the
 * size and fetching the path: a longer answer is then asked for again.
 */
static int64_t full_path(const WCHAR *w, WCHAR **out)
{
	DWORD cap = 0;
	WCHAR *full = NULL;

	for (int tries = 0; tries < 4; tries++) {
		DWORD n = GetFullPathNameW(w, cap, full, NULL);
		if (n == 0) {
			int64_t r = fail_last();
			if (full) HeapFree(GetProcessHeap(), 0, full);
			return r;
		}
		/* Written, as its length without the NUL; else the size it needs. */
		if (full && n < cap) {
			*out = full;
			return n;
		}
		if (full) HeapFree(GetProcessHeap(), 0, full);
		cap = n;
		full = HeapAlloc(GetProcessHeap(), 0, (size_t)cap * sizeof(WCHAR));
		if (!full) return fail_kind(K_ENOMEM);
	}
	HeapFree(GetProcessHeap(), 0, full);
	return fail_kind(K_EIO);
}

/*
 * The NT path of a Win32 path (NUL-terminated), as Windows resolves it:
 * "\\?\" as written is taken as it is; anything else ("\\.\" and "//?/"
 * too) is made whole by GetFullPathNameW (relative, drive-relative, "/",
 * ".." and trailing dots), then a device path gets \??\ in place of its
 * prefix, "\\server\share" \??\UNC\, and the rest \??\, so that no
 * MAX_PATH check is ever met. A device's name ("NUL", which GetFullPathNameW
 * makes "\\.\NUL") is no file: blit neither reads nor makes one.
 */
static int64_t nt_path_of(const WCHAR *w, struct nt_name *out)
{
	if (w[0] == '\\' && w[1] == '\\' && w[2] == '?' && w[3] == '\\')
		return set_nt_name(out, L"\\??\\", w + 4, wcslen(w + 4));
	WCHAR *full = NULL;
	int64_t got = full_path(w, &full);
	if (got < 0) return got;
	DWORD n = (DWORD)got;
	/* A name Windows keeps for a device ("NUL", "aux.c"), not a device path asked for: no such file here. */
	int named_device = n >= 4 && is_device_prefix(full) && !((w[0] == '\\' || w[0] == '/') && (w[1] == '\\' || w[1] == '/'));
	int64_t r = named_device ? fail_code(ERROR_FILE_NOT_FOUND, K_ENOENT)
		: n >= 4 && is_device_prefix(full) ? set_nt_name(out, L"\\??\\", full + 4, n - 4)
		: full[0] == '\\' && full[1] == '\\' ? set_nt_name(out, L"\\??\\UNC\\", full + 2, n - 2)
		: set_nt_name(out, L"\\??\\", full, n);
	HeapFree(GetProcessHeap(), 0, full);
	return r;
}

static int64_t parent_nt_name(int64_t dir, struct nt_name *out);
static int64_t final_path(HANDLE h, size_t extra, WCHAR **out);

/*
 * NTFS (with 8.3 names on) and FAT find an entry by its short name too:
 * "DOCUME~1.DOC" opens "Document Long Name.doc". A name that is another
 * entry's short name would have the copy replace that entry, or a directory
 * merge into it; so such a name is refused. Short names are made with a '~',
 * so only names holding one are looked up (their last component: the one
 * being made).
 */
#define BLIT_SHORT_NAME_ALIAS 0x20000001u /* a customer code (bit 29): blit_strerror's own text */

static int64_t refuse_short_alias(int64_t dir, const WCHAR *w, size_t units)
{
	size_t last = units;
	while (last > 0 && w[last - 1] != '\\') last--;
	size_t n = units - last;
	int tilde = 0, stream = 0;
	for (size_t i = last; i < units; i++) {
		tilde |= w[i] == '~';
		stream |= w[i] == ':';
	}
	/* A stream's name (":name" of a file) has no short form. */
	if (!tilde || stream) return 0;
	UNICODE_STRING us = { .Buffer = (WCHAR *)w, .Length = (USHORT)(units * sizeof(WCHAR)), .MaximumLength = (USHORT)(units * sizeof(WCHAR)) };
	OBJECT_ATTRIBUTES oa;
	InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE, (HANDLE)(intptr_t)dir, NULL);
	IO_STATUS_BLOCK io;
	HANDLE h;
	NTSTATUS st = NtCreateFile(&h, FILE_READ_ATTRIBUTES | SYNCHRONIZE, &oa, &io, NULL, 0, SHARE_ALL, FILE_OPEN,
				   FILE_OPEN_REPARSE_POINT | FILE_SYNCHRONOUS_IO_NONALERT | FILE_OPEN_FOR_BACKUP_INTENT, NULL, 0);
	/* Nothing there, or nothing this can open: the operation itself says what it finds. */
	if (!NT_SUCCESS(st)) return 0;
	WCHAR *path;
	int64_t got = final_path(h, 0, &path);
	NtClose(h);
	if (got < 0) return 0;
	size_t p = (size_t)got;
	int same = p > n && path[p - n - 1] == '\\' && CompareStringOrdinal(path + p - n, (int)n, w + last, (int)n, TRUE) == CSTR_EQUAL;
	HeapFree(GetProcessHeap(), 0, path);
	return same ? 0 : fail_code(BLIT_SHORT_NAME_ALIAS, K_EEXIST);
}

static int64_t make_nt_name(int64_t dir, const uint8_t *name, uint32_t len, struct nt_name *out)
{
	if (len == 0) return fail_kind(K_ENOENT); /* as openat(dir, ""): no entry */
	out->absolute = 0;
	if (dir != BLIT_CWD && len == 1 && name[0] == '.') {
		/* The directory itself: an empty name relative to it. */
		out->us.Buffer = NULL;
		out->us.Length = out->us.MaximumLength = 0;
		return 0;
	}
	if (dir != BLIT_CWD && len == 2 && name[0] == '.' && name[1] == '.') return parent_nt_name(dir, out);
	WCHAR *w = HeapAlloc(GetProcessHeap(), 0, ((size_t)len + 1) * sizeof(WCHAR));
	if (!w) return fail_kind(K_ENOMEM);
	int64_t units = wtf8_to_utf16(name, len, w, len, dir != BLIT_CWD);
	if (units < 0 || units > 32767) {
		HeapFree(GetProcessHeap(), 0, w);
		return units < 0 ? fail_kind(K_EINVAL) : fail_code(ERROR_FILENAME_EXCED_RANGE, K_EINVAL);
	}
	w[units] = 0;
	if (dir != BLIT_CWD) {
		int64_t alias = refuse_short_alias(dir, w, (size_t)units);
		if (alias < 0) {
			HeapFree(GetProcessHeap(), 0, w);
			return alias;
		}
		out->us.Buffer = w;
		out->us.Length = out->us.MaximumLength = (USHORT)(units * sizeof(WCHAR));
		return 0;
	}
	int64_t r = nt_path_of(w, out);
	HeapFree(GetProcessHeap(), 0, w);
	return r;
}

/*
 * A handle's final path (DOS form, NUL-terminated) in a heap buffer with
 * room for `extra` more units, which the caller frees: its length in units,
 * or a negative error. The path can grow between asking its size and
 * fetching it (a parent renamed): then it is asked for again.
 */
static int64_t final_path(HANDLE h, size_t extra, WCHAR **out)
{
	DWORD cap = 0;
	WCHAR *w = NULL;

	for (int tries = 0; tries < 4; tries++) {
		DWORD n = GetFinalPathNameByHandleW(h, w, cap, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
		if (n == 0) {
			int64_t r = fail_last();
			if (w) HeapFree(GetProcessHeap(), 0, w);
			return r;
		}
		/* Written, as its length without the NUL; else the size it needs. */
		if (w && n < cap) {
			*out = w;
			return n;
		}
		if (w) HeapFree(GetProcessHeap(), 0, w);
		cap = n + 1;
		w = HeapAlloc(GetProcessHeap(), 0, ((size_t)cap + extra) * sizeof(WCHAR));
		if (!w) return fail_kind(K_ENOMEM);
	}
	HeapFree(GetProcessHeap(), 0, w);
	return fail_kind(K_EIO);
}

/*
 * How much of a final path is its volume's root, which ".." cannot cut:
 * "\\?\C:\" (or "\\?\Volume{...}\"), "\\?\UNC\server\share\", and the same
 * without "\\?\".
 */
static DWORD root_units(const WCHAR *w, DWORD n)
{
	DWORD at = 0, parts = 1;
	if (n >= 4 && is_device_prefix(w)) {
		at = 4;
		if (n >= 8 && wcsncmp(w + 4, L"UNC\\", 4) == 0) {
			at = 8;
			parts = 2;
		}
	} else if (n >= 2 && w[0] == '\\' && w[1] == '\\') {
		at = 2;
		parts = 2;
	}
	for (; parts > 0; parts--) {
		while (at < n && w[at] != '\\') at++;
		if (at < n) at++;
	}
	return at;
}

/*
 * "..": NT opens nothing relative to a handle upward, so the directory's
 * final path, less its last component (the volume's root is its own parent).
 */
static int64_t parent_nt_name(int64_t dir, struct nt_name *out)
{
	WCHAR *w;
	int64_t got = final_path((HANDLE)(intptr_t)dir, 0, &w);
	if (got < 0) return got;
	DWORD n = (DWORD)got;
	DWORD root = root_units(w, n);
	DWORD cut = n;
	while (cut > root && w[cut - 1] == '\\') cut--;
	while (cut > root && w[cut - 1] != '\\') cut--;
	while (cut > root && w[cut - 1] == '\\') cut--;
	w[cut] = 0;
	int64_t r = nt_path_of(w, out);
	HeapFree(GetProcessHeap(), 0, w);
	return r;
}

static void free_nt_name(struct nt_name *n)
{
	if (n->us.Buffer) HeapFree(GetProcessHeap(), 0, n->us.Buffer);
}

/* NtCreateFile of (dir, name). */
static int64_t nt_open(int64_t dir, const uint8_t *name, uint32_t len, ACCESS_MASK access,
		       ULONG disposition, ULONG options, HANDLE *h)
{
	struct nt_name nt;
	int64_t r = make_nt_name(dir, name, len, &nt);
	if (r < 0) return r;
	OBJECT_ATTRIBUTES oa;
	InitializeObjectAttributes(&oa, &nt.us, OBJ_CASE_INSENSITIVE, nt.absolute ? NULL : (HANDLE)(intptr_t)dir, NULL);
	IO_STATUS_BLOCK io;
	NTSTATUS st = NtCreateFile(h, access | SYNCHRONIZE, &oa, &io, NULL, FILE_ATTRIBUTE_NORMAL, SHARE_ALL,
				   disposition, options | FILE_SYNCHRONOUS_IO_NONALERT | FILE_OPEN_FOR_BACKUP_INTENT, NULL, 0);
	free_nt_name(&nt);
	return NT_SUCCESS(st) ? 0 : fail_status(st);
}

/* h's own file opened again with `access`, as ReOpenFile does: "." relative to it, not following a link. */
static int64_t reopen_file(HANDLE h, ACCESS_MASK access, HANDLE *out)
{
	return nt_open((int64_t)(intptr_t)h, (const uint8_t *)".", 1, access, FILE_OPEN, FILE_OPEN_REPARSE_POINT, out);
}

static int unsupported_class(NTSTATUS st)
{
	return kind_of_status(st) == K_EOPNOTSUPP || st == (NTSTATUS)0xC000000D;
}

/* A symlink or a junction: a reparse point that names another file. */
static int is_link_tag(ULONG tag)
{
	return tag == IO_REPARSE_TAG_SYMLINK || tag == IO_REPARSE_TAG_MOUNT_POINT;
}

static int64_t attribute_tag(HANDLE h, FILE_ATTRIBUTE_TAG_INFORMATION *info)
{
	IO_STATUS_BLOCK io;
	NTSTATUS st = NtQueryInformationFile(h, &io, info, sizeof *info, CLASS_ATTRIBUTE_TAG);
	return NT_SUCCESS(st) ? 0 : fail_status(st);
}

/* The rights to change a security descriptor: its owner and group, its DACL. */
#define SECURITY_WRITE (READ_CONTROL | WRITE_DAC | WRITE_OWNER)

/* What blit_open asks for, most first: each next one where the previous was refused. */
static const ACCESS_MASK DIR_ACCESS[3] = {
	FILE_LIST_DIRECTORY | FILE_TRAVERSE | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES | SECURITY_WRITE,
	FILE_LIST_DIRECTORY | FILE_TRAVERSE | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES,
	FILE_LIST_DIRECTORY | FILE_TRAVERSE | FILE_READ_ATTRIBUTES,
};
static const ACCESS_MASK NEW_FILE_ACCESS[2] = {
	FILE_GENERIC_READ | FILE_GENERIC_WRITE | DELETE | SECURITY_WRITE,
	FILE_GENERIC_READ | FILE_GENERIC_WRITE | DELETE,
};

/* nt_open with the first of `count` access masks granted: access denied goes on to the next. */
static int64_t open_granted(int64_t dir, const uint8_t *name, uint32_t len, const ACCESS_MASK *access, int count,
			    ULONG disposition, ULONG options, HANDLE *h)
{
	int64_t r = fail_kind(K_EACCES);
	for (int i = 0; i < count && r < 0 && ((-r) & 0xff) == K_EACCES; i++)
		r = nt_open(dir, name, len, access[i], disposition, options, h);
	return r;
}

/* ------------------------------------------------------------------ exports */

BLIT_EXPORT int32_t blit_abi_version(void)
{
	return BLIT_ABI_VERSION;
}

BLIT_EXPORT int64_t blit_native_calls(void)
{
	return native_calls;
}

/* FormatMessageW's text for a Win32 code, in WTF-8, without its line end. */
BLIT_EXPORT int32_t blit_strerror(uint32_t code, uint8_t *out, uint32_t cap)
{
	if (code == BLIT_SHORT_NAME_ALIAS) {
		static const char alias[] = "the name is another entry's short (8.3) name in this directory";
		uint32_t len = (uint32_t)sizeof alias - 1 < cap ? (uint32_t)sizeof alias - 1 : cap;
		memcpy(out, alias, len);
		return (int32_t)len;
	}
	WCHAR text[512];
	DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code,
				 MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US), text, 512, NULL);
	if (n == 0)
		n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code, 0, text, 512, NULL);
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ' || text[n - 1] == '.')) n--;
	if (n == 0) return 0;
	uint32_t len = utf16_to_wtf8(text, n, out, cap);
	return (int32_t)(len < cap ? len : cap);
}

static int64_t file_id(HANDLE h)
{
	IO_STATUS_BLOCK io;
	FILE_INTERNAL_INFORMATION info;
	NTSTATUS st = NtQueryInformationFile(h, &io, &info, sizeof info, CLASS_INTERNAL);
	return NT_SUCCESS(st) ? info.IndexNumber.QuadPart : -1;
}

/*
 * A file to be read or written (not a link) whose reparse point names no
 * other file (WOF's compression, deduplication, a cloud file's placeholder)
 * keeps its data behind a filter, which FILE_OPEN_REPARSE_POINT passes by:
 * its bytes would read as the stub's. It is opened again without the flag,
 * and kept only if that is the same file (a name swapped meanwhile for a
 * link is not followed). Where the filter cannot serve it (a provider
 * offline, a deduplicated volume read where deduplication is not installed,
 * WSL's own entries) the open fails, as robocopy's does: the stub's bytes
 * are not the file's.
 */
static int64_t through_filter(HANDLE *h, int64_t dir, const uint8_t *name, uint32_t len, ACCESS_MASK access, ULONG options)
{
	HANDLE again;
	int64_t r = nt_open(dir, name, len, access, FILE_OPEN, options, &again);
	if (r < 0) return r;
	int64_t id = file_id(*h);
	if (id < 0 || id != file_id(again)) {
		NtClose(again);
		return fail_kind(K_ELOOP);
	}
	NtClose(*h);
	*h = again;
	return 0;
}

/*
 * Opens (dir, name) as `how` says (OPEN_* above). Without OPEN_FOLLOW a
 * symlink or junction under the name is refused as Linux's O_NOFOLLOW
 * refuses it: ENOTDIR for a directory, ELOOP for a file. Returns the handle.
 */
BLIT_EXPORT int64_t blit_open(int64_t dir, const uint8_t *name, uint32_t len, uint32_t how)
{
	native_calls++;
	int follow = (how & OPEN_FOLLOW) != 0;
	ULONG reparse = follow ? 0 : FILE_OPEN_REPARSE_POINT;
	HANDLE h;
	int64_t r;
	switch (how & 0xff) {
	case OPEN_DIR:
		/*
		 * Times and the security descriptor are set on the directory through
		 * this handle later; a source directory we may not change opens with
		 * less (its descriptor is then read through a handle of its own).
		 */
		r = open_granted(dir, name, len, DIR_ACCESS, 3, FILE_OPEN, FILE_DIRECTORY_FILE | reparse, &h);
		break;
	case OPEN_READ:
		/* FILE_GENERIC_READ holds READ_CONTROL: the descriptor can be read through it. */
		r = nt_open(dir, name, len, FILE_GENERIC_READ, FILE_OPEN, FILE_NON_DIRECTORY_FILE | FILE_SEQUENTIAL_ONLY | reparse, &h);
		break;
	case OPEN_CREATE:
		r = open_granted(dir, name, len, NEW_FILE_ACCESS, 2, FILE_CREATE, FILE_NON_DIRECTORY_FILE | FILE_OPEN_REPARSE_POINT, &h);
		break;
	case OPEN_TRUNCATE:
		r = open_granted(dir, name, len, NEW_FILE_ACCESS, 2, FILE_OPEN_IF, FILE_NON_DIRECTORY_FILE | reparse, &h);
		break;
	case OPEN_WRITE:
		/* FILE_READ_ATTRIBUTES: the link check below reads them, as an fstat of the handle does. */
		r = nt_open(dir, name, len, FILE_GENERIC_WRITE | FILE_READ_ATTRIBUTES, FILE_OPEN, FILE_NON_DIRECTORY_FILE | reparse, &h);
		break;
	case OPEN_READ_DISK:
		r = nt_open(dir, name, len, FILE_GENERIC_READ, FILE_OPEN,
			    FILE_NON_DIRECTORY_FILE | FILE_NO_INTERMEDIATE_BUFFERING | reparse, &h);
		break;
	default:
		return fail_kind(K_EINVAL);
	}
	if (r < 0) return r;
	if (!follow && (how & 0xff) != OPEN_CREATE) {
		FILE_ATTRIBUTE_TAG_INFORMATION info;
		int64_t got = attribute_tag(h, &info);
		int reparse_point = got == 0 && (info.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT);
		if (got < 0 || (reparse_point && is_link_tag(info.ReparseTag))) {
			NtClose(h);
			return got < 0 ? got : fail_kind((how & 0xff) == OPEN_DIR ? K_ENOTDIR : K_ELOOP);
		}
		int64_t filtered = 0;
		if (reparse_point && (how & 0xff) == OPEN_READ)
			filtered = through_filter(&h, dir, name, len, FILE_GENERIC_READ, FILE_NON_DIRECTORY_FILE | FILE_SEQUENTIAL_ONLY);
		if (reparse_point && (how & 0xff) == OPEN_READ_DISK)
			filtered = through_filter(&h, dir, name, len, FILE_GENERIC_READ, FILE_NON_DIRECTORY_FILE | FILE_NO_INTERMEDIATE_BUFFERING);
		if (reparse_point && (how & 0xff) == OPEN_WRITE)
			filtered = through_filter(&h, dir, name, len, FILE_GENERIC_WRITE | FILE_READ_ATTRIBUTES, FILE_NON_DIRECTORY_FILE);
		/* --inplace into a compressed or deduplicated file: written through its filter, or the filter would go on serving the old data. */
		if (reparse_point && (how & 0xff) == OPEN_TRUNCATE)
			filtered = through_filter(&h, dir, name, len, NEW_FILE_ACCESS[1], FILE_NON_DIRECTORY_FILE);
		if (filtered < 0) {
			NtClose(h);
			return filtered;
		}
	}
	if ((how & 0xff) == OPEN_TRUNCATE) {
		/* Emptied only now: a symlink refused above is left as it was. */
		FILE_END_OF_FILE_INFORMATION eof = { .EndOfFile.QuadPart = 0 };
		IO_STATUS_BLOCK io;
		NTSTATUS st = NtSetInformationFile(h, &io, &eof, sizeof eof, CLASS_END_OF_FILE);
		if (!NT_SUCCESS(st)) {
			NtClose(h);
			return fail_status(st);
		}
	}
	return (int64_t)(intptr_t)h;
}

BLIT_EXPORT int32_t blit_close(int64_t h)
{
	NTSTATUS st = NtClose((HANDLE)(intptr_t)h);
	return NT_SUCCESS(st) ? 0 : (int32_t)fail_status(st);
}

/*
 * struct blit_win_stat, 96 bytes of little-endian u64 (ffi/windows/shim.ts):
 *  0 attributes  8 size  16 allocated bytes  24 links  32 file id
 * 40 volume serial  48 creation  56 last access  64 last write  72 change
 * (times in 100 ns since 1601)  80 reparse tag  88 reserved
 */
static int64_t stat_handle(HANDLE h, uint64_t *out)
{
	IO_STATUS_BLOCK io;
	FILE_ALL_INFORMATION all;
	NTSTATUS st = NtQueryInformationFile(h, &io, &all, sizeof all, CLASS_ALL);
	if (!NT_SUCCESS(st) && st != ST_BUFFER_OVERFLOW) return fail_status(st);
	/* A volume that will not say its serial number (Wine on tmpfs) is volume 0. */
	FILE_FS_VOLUME_INFORMATION vol = { 0 };
	st = NtQueryVolumeInformationFile(h, &io, &vol, sizeof vol, FS_VOLUME);
	if (!NT_SUCCESS(st) && st != ST_BUFFER_OVERFLOW) vol.VolumeSerialNumber = 0;
	uint64_t tag = 0;
	if (all.BasicInformation.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
		FILE_ATTRIBUTE_TAG_INFORMATION info;
		if (attribute_tag(h, &info) == 0) tag = info.ReparseTag;
	}
	out[0] = all.BasicInformation.FileAttributes;
	out[1] = all.StandardInformation.EndOfFile.QuadPart;
	out[2] = all.StandardInformation.AllocationSize.QuadPart;
	out[3] = all.StandardInformation.NumberOfLinks;
	out[4] = all.InternalInformation.IndexNumber.QuadPart;
	out[5] = vol.VolumeSerialNumber;
	out[6] = all.BasicInformation.CreationTime.QuadPart;
	out[7] = all.BasicInformation.LastAccessTime.QuadPart;
	out[8] = all.BasicInformation.LastWriteTime.QuadPart;
	out[9] = all.BasicInformation.ChangeTime.QuadPart;
	out[10] = tag;
	out[11] = 0;
	return 0;
}

BLIT_EXPORT int64_t blit_fstat(int64_t h, uint64_t *out)
{
	native_calls++;
	return stat_handle((HANDLE)(intptr_t)h, out);
}

static int64_t stat_by_open(int64_t dir, const uint8_t *name, uint32_t len, int32_t follow, uint64_t *out)
{
	HANDLE h;
	int64_t r = nt_open(dir, name, len, FILE_READ_ATTRIBUTES, FILE_OPEN, follow ? 0 : FILE_OPEN_REPARSE_POINT, &h);
	if (r < 0) return r;
	r = stat_handle(h, out);
	NtClose(h);
	return r;
}

BLIT_EXPORT int64_t blit_stat(int64_t dir, const uint8_t *name, uint32_t len, int32_t follow, uint64_t *out)
{
	native_calls++;
	return stat_by_open(dir, name, len, follow, out);
}

/*
 * NtQueryInformationByName with FileStatInformation (Windows 10 1709 and
 * later): an entry's stat in one call, without opening it. Looked up at run
 * time, so the DLL loads where ntdll lacks it (older Windows, Wine 8).
 */
typedef NTSTATUS(NTAPI *query_by_name_fn)(POBJECT_ATTRIBUTES, PIO_STATUS_BLOCK, PVOID, ULONG, FILE_INFORMATION_CLASS);
#define CLASS_STAT ((FILE_INFORMATION_CLASS)68)

struct file_stat_information {
	LARGE_INTEGER file_id, creation, last_access, last_write, change, allocation, end_of_file;
	ULONG attributes, reparse_tag, links;
	ACCESS_MASK effective_access;
};

/* The function, or NULL once it is missing or has refused the class. */
static volatile LONG by_name_state; /* 0 unknown, 1 usable, -1 not */
static query_by_name_fn by_name_fn;

static query_by_name_fn query_by_name(void)
{
	if (by_name_state == 0) {
		by_name_fn = (query_by_name_fn)(void *)GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtQueryInformationByName");
		InterlockedExchange(&by_name_state, by_name_fn ? 1 : -1);
	}
	return by_name_state == 1 ? by_name_fn : NULL;
}

/* 1 when out was filled by name, 0 when the caller must open the entry (a link, or no such call), or < 0. */
static int64_t stat_by_name(int64_t dir, const uint8_t *name, uint32_t len, uint64_t serial, uint64_t *out)
{
	query_by_name_fn query = query_by_name();
	if (!query) return 0;
	struct nt_name nt;
	int64_t r = make_nt_name(dir, name, len, &nt);
	if (r < 0) return r;
	OBJECT_ATTRIBUTES oa;
	InitializeObjectAttributes(&oa, &nt.us, OBJ_CASE_INSENSITIVE, nt.absolute ? NULL : (HANDLE)(intptr_t)dir, NULL);
	IO_STATUS_BLOCK io;
	struct file_stat_information info;
	NTSTATUS st = query(&oa, &io, &info, sizeof info, CLASS_STAT);
	free_nt_name(&nt);
	if (unsupported_class(st)) {
		InterlockedExchange(&by_name_state, -1);
		return 0;
	}
	if (!NT_SUCCESS(st)) return fail_status(st);
	/* A reparse point: whether the link itself or what it names is wanted, opening says. */
	if (info.attributes & FILE_ATTRIBUTE_REPARSE_POINT) return 0;
	out[0] = info.attributes;
	out[1] = info.end_of_file.QuadPart;
	out[2] = info.allocation.QuadPart;
	out[3] = info.links;
	out[4] = info.file_id.QuadPart;
	out[5] = serial;
	out[6] = info.creation.QuadPart;
	out[7] = info.last_access.QuadPart;
	out[8] = info.last_write.QuadPart;
	out[9] = info.change.QuadPart;
	out[10] = 0;
	out[11] = 0;
	return 1;
}

/*
 * stat for many names of one directory in one call: names are packed as
 * (u32 length, bytes) one after the other; out receives per name a
 * blit_win_stat (96 bytes) and its result (i64: 0 or a failure). By name
 * where Windows can, else by opening each one.
 */
BLIT_EXPORT int64_t blit_stat_many(int64_t dir, const uint8_t *names, uint32_t count, int32_t follow, uint64_t *out)
{
	native_calls++;
	uint64_t serial = 0;
	int by_name = dir != BLIT_CWD && query_by_name() != NULL;
	if (by_name) {
		IO_STATUS_BLOCK io;
		FILE_FS_VOLUME_INFORMATION vol = { 0 };
		NTSTATUS st = NtQueryVolumeInformationFile((HANDLE)(intptr_t)dir, &io, &vol, sizeof vol, FS_VOLUME);
		by_name = NT_SUCCESS(st) || st == ST_BUFFER_OVERFLOW;
		serial = vol.VolumeSerialNumber;
	}
	for (uint32_t i = 0; i < count; i++) {
		uint32_t len;
		memcpy(&len, names, 4);
		const uint8_t *name = names + 4;
		names += 4 + len;
		uint64_t *stat = out + (size_t)i * 13;
		int64_t r = by_name ? stat_by_name(dir, name, len, serial, stat) : 0;
		if (r == 0) r = stat_by_open(dir, name, len, follow, stat);
		stat[12] = (uint64_t)(r < 0 ? r : 0);
	}
	return 0;
}

/*
 * The next names of an open directory, without "." and "..", into out as
 * records: u32 record length, u32 name length, the WTF-8 name, each record
 * 4-aligned. raw is scratch for NtQueryDirectoryFile (FileNamesInformation:
 * names only; a name's stat comes from blit_stat_many). Returns the bytes
 * written, 0 at the end.
 */
#define CLASS_NAMES ((FILE_INFORMATION_CLASS)12)
BLIT_EXPORT int64_t blit_readdir(int64_t dir, uint8_t *raw, uint32_t raw_len, uint8_t *out, uint32_t out_len)
{
	native_calls++;
	for (;;) {
		IO_STATUS_BLOCK io;
		NTSTATUS st = NtQueryDirectoryFile((HANDLE)(intptr_t)dir, NULL, NULL, NULL, &io, raw, raw_len,
						   CLASS_NAMES, FALSE, NULL, FALSE);
		if (st == STATUS_NO_MORE_FILES) return 0;
		if (!NT_SUCCESS(st)) return fail_status(st);
		uint32_t at = 0;
		for (FILE_NAMES_INFORMATION *e = (void *)raw;; e = (void *)((uint8_t *)e + e->NextEntryOffset)) {
			uint32_t units = e->FileNameLength / sizeof(WCHAR);
			int dot = (units == 1 && e->FileName[0] == '.') || (units == 2 && e->FileName[0] == '.' && e->FileName[1] == '.');
			if (!dot) {
				uint32_t name_len = utf16_to_wtf8(e->FileName, units, NULL, 0);
				uint32_t rec = (8 + name_len + 3) & ~3u;
				/* The caller's out holds at least 3 bytes per UTF-16 unit of raw. */
				if (at + rec > out_len) return fail_kind(K_ENOMEM);
				uint32_t head[2] = { rec, name_len };
				memcpy(out + at, head, sizeof head);
				utf16_to_wtf8(e->FileName, units, out + at + 8, name_len);
				at += rec;
			}
			if (e->NextEntryOffset == 0) break;
		}
		if (at > 0) return at;
	}
}

BLIT_EXPORT int64_t blit_mkdir(int64_t dir, const uint8_t *name, uint32_t len)
{
	native_calls++;
	HANDLE h;
	int64_t r = nt_open(dir, name, len, FILE_LIST_DIRECTORY, FILE_CREATE, FILE_DIRECTORY_FILE | FILE_OPEN_REPARSE_POINT, &h);
	if (r == 0) NtClose(h);
	return r;
}

/*
 * 0, 1 and 2 are the engine's stdin, stdout and stderr, as on POSIX (no
 * handle has these values: handles are multiples of 4). Those go through
 * ReadFile/WriteFile, which also know consoles and pipes.
 */
static HANDLE std_handle(int64_t h)
{
	return GetStdHandle(h == 0 ? STD_INPUT_HANDLE : h == 1 ? STD_OUTPUT_HANDLE : STD_ERROR_HANDLE);
}

static int64_t std_io(int64_t h, uint8_t *buf, uint32_t len, int write)
{
	DWORD done;
	BOOL ok = write ? WriteFile(std_handle(h), buf, len, &done, NULL) : ReadFile(std_handle(h), buf, len, &done, NULL);
	if (!ok) return GetLastError() == ERROR_BROKEN_PIPE && !write ? 0 : fail_last();
	return done;
}

/*
 * Reads through a handle opened without buffering (OPEN_READ_DISK) take a
 * buffer, an offset and a length in whole sectors: 4096 bytes is a multiple
 * of the sector sizes disks have (512 and 4096).
 */
#define DISK_ALIGN 4096

/* Whether h was opened without buffering: its reads must be whole aligned sectors. */
static int unbuffered(HANDLE h)
{
	IO_STATUS_BLOCK io;
	ULONG mode = 0;
	NTSTATUS st = NtQueryInformationFile(h, &io, &mode, sizeof mode, CLASS_MODE);
	return NT_SUCCESS(st) && (mode & FILE_NO_INTERMEDIATE_BUFFERING);
}

/*
 * Up to len bytes at pos of a handle opened without buffering: the whole
 * sectors around them are read into a page-aligned buffer of their own
 * (VirtualAlloc), and the part asked for copied out. The last sector of a
 * file comes back short, as the file ends.
 */
static int64_t read_sectors(HANDLE h, uint8_t *buf, uint32_t len, int64_t pos)
{
	int64_t start = pos & ~(int64_t)(DISK_ALIGN - 1);
	uint32_t skip = (uint32_t)(pos - start);
	SIZE_T span = ((SIZE_T)skip + len + DISK_ALIGN - 1) & ~(SIZE_T)(DISK_ALIGN - 1);
	uint8_t *sectors = VirtualAlloc(NULL, span, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
	if (!sectors) return fail_kind(K_ENOMEM);
	IO_STATUS_BLOCK io;
	LARGE_INTEGER at = { .QuadPart = start };
	NTSTATUS st = NtReadFile(h, NULL, NULL, NULL, &io, sectors, (ULONG)span, &at, NULL);
	int64_t r = 0;
	if (NT_SUCCESS(st) && io.Information > skip) {
		r = (int64_t)io.Information - skip < len ? (int64_t)io.Information - skip : len;
		memcpy(buf, sectors + skip, (size_t)r);
	} else if (!NT_SUCCESS(st) && st != ST_END_OF_FILE) {
		r = fail_status(st);
	}
	VirtualFree(sectors, 0, MEM_RELEASE);
	return r;
}

/*
 * Up to len bytes at pos (pos < 0: the file's current position). 0 at the
 * end. A handle opened without buffering that another thread was given
 * (--verify's shared ranges) refuses an unaligned read: read by sectors.
 */
BLIT_EXPORT int64_t blit_pread(int64_t h, uint8_t *buf, uint32_t len, int64_t pos)
{
	native_calls++;
	if (h >= 0 && h <= 2) return std_io(h, buf, len, 0);
	IO_STATUS_BLOCK io;
	LARGE_INTEGER at = { .QuadPart = pos };
	NTSTATUS st = NtReadFile((HANDLE)(intptr_t)h, NULL, NULL, NULL, &io, buf, len, pos < 0 ? NULL : &at, NULL);
	if (st == ST_END_OF_FILE) return 0;
	if (st == ST_INVALID_PARAMETER && pos >= 0 && unbuffered((HANDLE)(intptr_t)h)) return read_sectors((HANDLE)(intptr_t)h, buf, len, pos);
	if (!NT_SUCCESS(st)) return fail_status(st);
	return (int64_t)io.Information;
}

/* Up to len bytes at pos of a handle opened with OPEN_READ_DISK: from the disk, not the cache. */
BLIT_EXPORT int64_t blit_pread_disk(int64_t h, uint8_t *buf, uint32_t len, int64_t pos)
{
	native_calls++;
	if (pos < 0) return fail_kind(K_EINVAL);
	return read_sectors((HANDLE)(intptr_t)h, buf, len, pos);
}

/*
 * What was written through h, on the disk (FlushFileBuffers): --verify's
 * read-back then finds it there. A handle that may not write has nothing
 * of its own to write back.
 */
BLIT_EXPORT int64_t blit_flush(int64_t h)
{
	native_calls++;
	IO_STATUS_BLOCK io;
	NTSTATUS st = NtFlushBuffersFile((HANDLE)(intptr_t)h, &io);
	return NT_SUCCESS(st) || st == ST_ACCESS_DENIED ? 0 : fail_status(st);
}

BLIT_EXPORT int64_t blit_pwrite(int64_t h, const uint8_t *buf, uint32_t len, int64_t pos)
{
	native_calls++;
	if (h >= 0 && h <= 2) return std_io(h, (uint8_t *)buf, len, 1);
	IO_STATUS_BLOCK io;
	LARGE_INTEGER at = { .QuadPart = pos };
	NTSTATUS st = NtWriteFile((HANDLE)(intptr_t)h, NULL, NULL, NULL, &io, (void *)buf, len, pos < 0 ? NULL : &at, NULL);
	if (!NT_SUCCESS(st)) return fail_status(st);
	return (int64_t)io.Information;
}

BLIT_EXPORT int64_t blit_truncate(int64_t h, int64_t size)
{
	native_calls++;
	FILE_END_OF_FILE_INFORMATION eof = { .EndOfFile.QuadPart = size };
	IO_STATUS_BLOCK io;
	NTSTATUS st = NtSetInformationFile((HANDLE)(intptr_t)h, &io, &eof, sizeof eof, CLASS_END_OF_FILE);
	return NT_SUCCESS(st) ? 0 : fail_status(st);
}

/* FILE_BASIC_INFORMATION: a 0 time or attribute word means "leave it". */
static int64_t set_basic(HANDLE h, int64_t creation, int64_t access, int64_t write, uint32_t attributes)
{
	FILE_BASIC_INFORMATION basic = { 0 };
	basic.CreationTime.QuadPart = creation;
	basic.LastAccessTime.QuadPart = access;
	basic.LastWriteTime.QuadPart = write;
	basic.FileAttributes = attributes;
	IO_STATUS_BLOCK io;
	NTSTATUS st = NtSetInformationFile(h, &io, &basic, sizeof basic, CLASS_BASIC);
	if (st == ST_ACCESS_DENIED) {
		/*
		 * These take FILE_WRITE_ATTRIBUTES, which a handle opened for
		 * reading lacks (a file --skip-unchanged leaves): through the file
		 * opened again with it. Wine does not ask for the right.
		 */
		HANDLE again;
		if (reopen_file(h, FILE_WRITE_ATTRIBUTES, &again) < 0) return fail_status(st);
		st = NtSetInformationFile(again, &io, &basic, sizeof basic, CLASS_BASIC);
		NtClose(again);
	}
	return NT_SUCCESS(st) ? 0 : fail_status(st);
}

/* Times in 100 ns since 1601; creation 0 leaves the creation time as it is. */
BLIT_EXPORT int64_t blit_set_times(int64_t h, int64_t creation, int64_t access, int64_t write)
{
	native_calls++;
	return set_basic((HANDLE)(intptr_t)h, creation, access, write, 0);
}

BLIT_EXPORT int64_t blit_set_times_at(int64_t dir, const uint8_t *name, uint32_t len, int64_t creation, int64_t access, int64_t write)
{
	native_calls++;
	HANDLE h;
	int64_t r = nt_open(dir, name, len, FILE_WRITE_ATTRIBUTES, FILE_OPEN, FILE_OPEN_REPARSE_POINT, &h);
	if (r < 0) return r;
	r = set_basic(h, creation, access, write, 0);
	NtClose(h);
	return r;
}

/* The attributes a copy may carry: the rest (directory, reparse point, sparse, compressed...) are states, not settings. */
#define SETTABLE_ATTRIBUTES (FILE_ATTRIBUTE_READONLY | FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_SYSTEM | \
			     FILE_ATTRIBUTE_ARCHIVE | FILE_ATTRIBUTE_NOT_CONTENT_INDEXED | FILE_ATTRIBUTE_TEMPORARY)

/* FILE_ATTRIBUTE_NORMAL stands for "none" on a file; a directory keeps its directory bit instead. */
static int64_t set_attributes(HANDLE h, uint32_t attributes)
{
	FILE_ATTRIBUTE_TAG_INFORMATION info;
	int64_t r = attribute_tag(h, &info);
	if (r < 0) return r;
	attributes = (attributes & SETTABLE_ATTRIBUTES) | (info.FileAttributes & FILE_ATTRIBUTE_DIRECTORY);
	return set_basic(h, 0, 0, 0, attributes ? attributes : FILE_ATTRIBUTE_NORMAL);
}

BLIT_EXPORT int64_t blit_set_attributes(int64_t h, uint32_t attributes)
{
	native_calls++;
	return set_attributes((HANDLE)(intptr_t)h, attributes);
}

BLIT_EXPORT int64_t blit_set_attributes_at(int64_t dir, const uint8_t *name, uint32_t len, uint32_t attributes)
{
	native_calls++;
	HANDLE h;
	int64_t r = nt_open(dir, name, len, FILE_WRITE_ATTRIBUTES | FILE_READ_ATTRIBUTES, FILE_OPEN, FILE_OPEN_REPARSE_POINT, &h);
	if (r < 0 && ((-r) & 0xff) == K_EACCES) {
		/* A copied DACL may refuse us the change: nothing to refuse when the entry has them already. */
		int64_t refused = r;
		FILE_ATTRIBUTE_TAG_INFORMATION info;
		r = nt_open(dir, name, len, FILE_READ_ATTRIBUTES, FILE_OPEN, FILE_OPEN_REPARSE_POINT, &h);
		if (r < 0) return refused;
		r = attribute_tag(h, &info);
		NtClose(h);
		return r == 0 && (info.FileAttributes & SETTABLE_ATTRIBUTES) == (attributes & SETTABLE_ATTRIBUTES) ? 0 : refused;
	}
	if (r < 0) return r;
	r = set_attributes(h, attributes);
	NtClose(h);
	return r;
}

/* ------------------------------------------------------------------ renames, links, removal */

/* FILE_RENAME_INFORMATION and FILE_LINK_INFORMATION share this layout; the Ex forms read a flags word where ReplaceIfExists was. */
struct rename_info {
	union {
		BOOLEAN replace;
		ULONG flags;
	};
	HANDLE root;
	ULONG name_bytes;
	WCHAR name[1];
};

/* 1 until FileRenameInformationEx / FileDispositionInformationEx are refused (older Windows, Wine). */
static volatile LONG rename_ex_works = 1;
static volatile LONG delete_ex_works = 1;

/*
 * Sets a rename or link (class) on h: to (to_dir, to_name), replacing what is
 * there when replace says so. A rename tries POSIX semantics first (the name
 * is replaced even if the old file is open elsewhere, and at once).
 */
static int64_t rename_or_link(HANDLE h, FILE_INFORMATION_CLASS cls, int64_t to_dir, const uint8_t *to_name, uint32_t to_len, int replace)
{
	if (to_len == 0) return fail_kind(K_ENOENT);
	size_t size = sizeof(struct rename_info) + (size_t)to_len * sizeof(WCHAR);
	struct rename_info *info = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, size);
	if (!info) return fail_kind(K_ENOMEM);
	int64_t units = wtf8_to_utf16(to_name, to_len, info->name, to_len, to_dir != BLIT_CWD);
	if (units < 0 || units > 32767) {
		HeapFree(GetProcessHeap(), 0, info);
		return units < 0 ? fail_kind(K_EINVAL) : fail_code(ERROR_FILENAME_EXCED_RANGE, K_EINVAL);
	}
	int64_t alias = to_dir == BLIT_CWD ? 0 : refuse_short_alias(to_dir, info->name, (size_t)units);
	if (alias < 0) {
		HeapFree(GetProcessHeap(), 0, info);
		return alias;
	}
	info->name_bytes = (ULONG)(units * sizeof(WCHAR));
	info->root = to_dir == BLIT_CWD ? NULL : (HANDLE)(intptr_t)to_dir;
	IO_STATUS_BLOCK io;
	NTSTATUS st = (NTSTATUS)0xC0000002;
	if (cls == CLASS_RENAME && replace && rename_ex_works) {
		info->flags = RENAME_EX_REPLACE_IF_EXISTS | RENAME_EX_POSIX_SEMANTICS | RENAME_EX_IGNORE_READONLY;
		st = NtSetInformationFile(h, &io, info, (ULONG)size, CLASS_RENAME_EX);
		/* Turned off for the process only where the OS lacks the class; a volume's refusal (FAT: invalid parameter) is this call's. */
		if (kind_of_status(st) == K_EOPNOTSUPP) InterlockedExchange(&rename_ex_works, 0);
	}
	if (!NT_SUCCESS(st) && unsupported_class(st)) {
		info->flags = 0;
		info->replace = replace ? TRUE : FALSE;
		st = NtSetInformationFile(h, &io, info, (ULONG)size, cls);
	}
	HeapFree(GetProcessHeap(), 0, info);
	return NT_SUCCESS(st) ? 0 : fail_status(st);
}

BLIT_EXPORT int64_t blit_link(int64_t from_dir, const uint8_t *from, uint32_t from_len,
			      int64_t to_dir, const uint8_t *to, uint32_t to_len, int32_t follow)
{
	native_calls++;
	HANDLE h;
	int64_t r = nt_open(from_dir, from, from_len, FILE_READ_ATTRIBUTES, FILE_OPEN, follow ? 0 : FILE_OPEN_REPARSE_POINT, &h);
	if (r < 0) return r;
	r = rename_or_link(h, CLASS_LINK, to_dir, to, to_len, 0);
	NtClose(h);
	return r;
}

/* Marks h for deletion: POSIX semantics where offered (the name goes at once), read-only or not. */
static int64_t delete_handle(HANDLE h)
{
	IO_STATUS_BLOCK io;
	NTSTATUS st = (NTSTATUS)0xC0000002;
	if (delete_ex_works) {
		ULONG flags = DISPOSITION_EX_DELETE | DISPOSITION_EX_POSIX_SEMANTICS | DISPOSITION_EX_IGNORE_READONLY;
		st = NtSetInformationFile(h, &io, &flags, sizeof flags, CLASS_DISPOSITION_EX);
		if (kind_of_status(st) == K_EOPNOTSUPP) InterlockedExchange(&delete_ex_works, 0);
		if (NT_SUCCESS(st) || !unsupported_class(st)) return NT_SUCCESS(st) ? 0 : fail_status(st);
	}
	FILE_DISPOSITION_INFORMATION disp = { TRUE };
	st = NtSetInformationFile(h, &io, &disp, sizeof disp, CLASS_DISPOSITION);
	if ((uint32_t)st == 0xC0000121) { /* CANNOT_DELETE: read-only, as unlink(2) would not mind */
		FILE_ATTRIBUTE_TAG_INFORMATION info;
		if (attribute_tag(h, &info) == 0 && (info.FileAttributes & FILE_ATTRIBUTE_READONLY)) {
			set_basic(h, 0, 0, 0, (info.FileAttributes & ~FILE_ATTRIBUTE_READONLY) | FILE_ATTRIBUTE_NORMAL);
			st = NtSetInformationFile(h, &io, &disp, sizeof disp, CLASS_DISPOSITION);
		}
	}
	return NT_SUCCESS(st) ? 0 : fail_status(st);
}

/*
 * Removes (dir, name) if it is a directory symlink or junction (the link,
 * never what it names): 0 when it was, else a negative code.
 */
static int64_t remove_directory_link(int64_t dir, const uint8_t *name, uint32_t len)
{
	HANDLE h;
	int64_t r = nt_open(dir, name, len, DELETE | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES, FILE_OPEN, FILE_OPEN_REPARSE_POINT, &h);
	if (r < 0) return r;
	FILE_ATTRIBUTE_TAG_INFORMATION info;
	r = attribute_tag(h, &info);
	if (r == 0) {
		int link = (info.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) && is_link_tag(info.ReparseTag);
		r = link && (info.FileAttributes & FILE_ATTRIBUTE_DIRECTORY) ? delete_handle(h) : fail_kind(K_EACCES);
	}
	NtClose(h);
	return r;
}

/*
 * Without POSIX semantics (FAT, exFAT, SMB, Windows before 10 1709) a rename
 * does not replace a read-only file, which rename(2) replaces: its
 * read-only bit is cleared first. Returns the attributes it had (to put back
 * if the rename fails after all), or 0 where there was nothing to clear.
 */
static uint32_t take_readonly(int64_t dir, const uint8_t *name, uint32_t len)
{
	HANDLE h;
	if (nt_open(dir, name, len, FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES, FILE_OPEN, FILE_OPEN_REPARSE_POINT | FILE_NON_DIRECTORY_FILE, &h) < 0) return 0;
	FILE_ATTRIBUTE_TAG_INFORMATION info;
	uint32_t was = 0;
	if (attribute_tag(h, &info) == 0 && (info.FileAttributes & FILE_ATTRIBUTE_READONLY) &&
	    set_basic(h, 0, 0, 0, (info.FileAttributes & ~FILE_ATTRIBUTE_READONLY) | FILE_ATTRIBUTE_NORMAL) == 0)
		was = info.FileAttributes;
	NtClose(h);
	return was;
}

/*
 * Windows refuses to rename over a directory symlink or junction (to it, a
 * directory); rename(2) replaces a symlink whatever it names. Such a link
 * is removed and the rename made again: for a moment the name is free.
 */
BLIT_EXPORT int64_t blit_rename(int64_t from_dir, const uint8_t *from, uint32_t from_len,
				int64_t to_dir, const uint8_t *to, uint32_t to_len, int32_t replace)
{
	native_calls++;
	HANDLE h;
	int64_t r = nt_open(from_dir, from, from_len, DELETE | FILE_READ_ATTRIBUTES, FILE_OPEN, FILE_OPEN_REPARSE_POINT, &h);
	if (r < 0) r = nt_open(from_dir, from, from_len, DELETE, FILE_OPEN, FILE_OPEN_REPARSE_POINT, &h);
	if (r < 0) return r;
	/*
	 * Name tunnelling (NTFS, FAT) gives a file renamed onto a name another
	 * just left that one's creation time: the copy's own, set before the
	 * rename, is put back after it.
	 */
	FILE_BASIC_INFORMATION before;
	IO_STATUS_BLOCK io;
	int timed = replace && NT_SUCCESS(NtQueryInformationFile(h, &io, &before, sizeof before, CLASS_BASIC));
	r = rename_or_link(h, CLASS_RENAME, to_dir, to, to_len, replace);
	if (r < 0 && replace && ((-r) & 0xff) == K_EACCES && remove_directory_link(to_dir, to, to_len) == 0)
		r = rename_or_link(h, CLASS_RENAME, to_dir, to, to_len, replace);
	if (r < 0 && replace && (((-r) & 0xff) == K_EACCES || ((-r) & 0xff) == K_EEXIST)) {
		uint32_t was = take_readonly(to_dir, to, to_len);
		if (was != 0) {
			r = rename_or_link(h, CLASS_RENAME, to_dir, to, to_len, replace);
			if (r < 0) blit_set_attributes_at(to_dir, to, to_len, was);
		}
	}
	FILE_BASIC_INFORMATION after;
	if (r == 0 && timed && NT_SUCCESS(NtQueryInformationFile(h, &io, &after, sizeof after, CLASS_BASIC))
	    && after.CreationTime.QuadPart != before.CreationTime.QuadPart)
		set_basic(h, before.CreationTime.QuadPart, 0, 0, 0);
	NtClose(h);
	return r;
}

/*
 * Removes (dir, name): a directory (empty) when is_dir, else anything that is
 * not a directory, a directory symlink or junction included (the link, never
 * what it names).
 */
BLIT_EXPORT int64_t blit_remove(int64_t dir, const uint8_t *name, uint32_t len, int32_t is_dir)
{
	native_calls++;
	HANDLE h;
	int64_t r = nt_open(dir, name, len, DELETE | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES, FILE_OPEN,
			    FILE_OPEN_REPARSE_POINT | (is_dir ? FILE_DIRECTORY_FILE : 0), &h);
	if (r < 0) return r;
	FILE_ATTRIBUTE_TAG_INFORMATION info;
	r = attribute_tag(h, &info);
	if (r == 0) {
		int link = (info.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) && is_link_tag(info.ReparseTag);
		int directory = (info.FileAttributes & FILE_ATTRIBUTE_DIRECTORY) && !link;
		if (is_dir && !directory) r = fail_kind(K_ENOTDIR);
		else if (!is_dir && directory) r = fail_kind(K_EISDIR);
		else r = delete_handle(h);
	}
	NtClose(h);
	return r;
}

/* ------------------------------------------------------------------ symlinks */

/* The reparse data of h (opened with FILE_OPEN_REPARSE_POINT) into buf. */
static int64_t reparse_data(HANDLE h, REPARSE_GUID_DATA_BUFFER *buf, DWORD cap)
{
	DWORD got;
	if (!DeviceIoControl(h, FSCTL_GET_REPARSE_POINT, NULL, 0, buf, cap, &got, NULL)) return fail_last();
	return got;
}

/*
 * The target of a symlink, in WTF-8, as it was written: its print name, or
 * its substitute name without the \??\ an absolute one carries. A junction's
 * is its substitute name as it is (\??\C:\dir), which blit_symlink makes a
 * junction again. Returns the bytes the target takes (more than cap: call
 * again).
 */
BLIT_EXPORT int64_t blit_readlink(int64_t dir, const uint8_t *name, uint32_t len, uint8_t *out, uint32_t cap)
{
	native_calls++;
	HANDLE h;
	int64_t r = nt_open(dir, name, len, FILE_READ_ATTRIBUTES, FILE_OPEN, FILE_OPEN_REPARSE_POINT, &h);
	if (r < 0) return r;
	static const DWORD size = MAXIMUM_REPARSE_DATA_BUFFER_SIZE;
	uint8_t *buf = HeapAlloc(GetProcessHeap(), 0, size);
	if (!buf) {
		NtClose(h);
		return fail_kind(K_ENOMEM);
	}
	r = reparse_data(h, (void *)buf, size);
	NtClose(h);
	if (r >= 0) {
		ULONG tag;
		memcpy(&tag, buf, 4);
		/* Symlinks have a flags word before the names; junctions do not. */
		const uint8_t *names = tag == IO_REPARSE_TAG_SYMLINK ? buf + 20 : tag == IO_REPARSE_TAG_MOUNT_POINT ? buf + 16 : NULL;
		if (!names) {
			r = fail_kind(K_EINVAL);
		} else {
			USHORT f[4];
			memcpy(f, buf + 8, sizeof f); /* substitute offset, length, print offset, length */
			/* A junction's substitute name; a symlink's print name, else its substitute name. */
			int substitute = tag == IO_REPARSE_TAG_MOUNT_POINT || f[3] / sizeof(WCHAR) == 0;
			size_t at = (size_t)(names - buf) + f[substitute ? 0 : 2];
			uint32_t units = f[substitute ? 1 : 3] / sizeof(WCHAR);
			/*
			 * The offsets and lengths are the file system's word, and over SMB
			 * the server's: a name past the data got would be read past it, or
			 * past the buffer.
			 */
			if (at + (size_t)units * sizeof(WCHAR) > (size_t)r) {
				r = fail_kind(K_EINVAL);
			} else {
				const WCHAR *text = (const WCHAR *)(buf + at);
				/*
				 * An NT path ("\??\..."), as a Win32 one: "C:\x" for a drive;
				 * "\\server\share" for "UNC\server\share"; "\\?\Volume{...}\x"
				 * for anything else, which taken without its prefix would read
				 * as a relative target.
				 */
				uint32_t lead = 0;
				if (tag == IO_REPARSE_TAG_SYMLINK && substitute && units >= 4 && text[0] == '\\' && text[1] == '?'
				    && text[2] == '?' && text[3] == '\\') {
					text += 4;
					units -= 4;
					if (units >= 4 && wcsncmp(text, L"UNC\\", 4) == 0) {
						text += 4;
						units -= 4;
						lead = utf16_to_wtf8(L"\\\\", 2, out, cap);
					} else if (!(units >= 2 && text[1] == ':')) {
						lead = utf16_to_wtf8(L"\\\\?\\", 4, out, cap);
					}
				}
				r = lead + utf16_to_wtf8(text, units, lead < cap ? out + lead : NULL, lead < cap ? cap - lead : 0);
			}
		}
	}
	HeapFree(GetProcessHeap(), 0, buf);
	return r;
}

/* Makes (dir, name) with the reparse data in buf: a new directory or file, never left empty on failure. */
static int64_t make_reparse_point(int64_t dir, const uint8_t *name, uint32_t len, int directory, uint8_t *buf, uint32_t total)
{
	HANDLE h;
	int64_t r = nt_open(dir, name, len, FILE_WRITE_DATA | FILE_WRITE_ATTRIBUTES | FILE_READ_ATTRIBUTES | DELETE, FILE_CREATE,
			    FILE_OPEN_REPARSE_POINT | (directory ? FILE_DIRECTORY_FILE : FILE_NON_DIRECTORY_FILE), &h);
	if (r < 0) return r;
	DWORD got;
	if (!DeviceIoControl(h, FSCTL_SET_REPARSE_POINT, buf, total, NULL, 0, &got, NULL)) {
		r = fail_last();
		delete_handle(h); /* no empty file left under the link's name */
	}
	NtClose(h);
	return r;
}

/*
 * Without SeCreateSymbolicLinkPrivilege, FSCTL_SET_REPARSE_POINT refuses a
 * symlink even in Developer Mode, which only CreateSymbolicLinkW's
 * ALLOW_UNPRIVILEGED_CREATE honours; that takes a path: the directory
 * handle's final path and the name. Fails as the privilege did where
 * Developer Mode is off.
 */
static int64_t symlink_unprivileged(const WCHAR *target, uint32_t units, int64_t dir, const uint8_t *name, uint32_t len, int to_dir)
{
	/* Room after the directory's path for a separator, the name (a unit or fewer a byte) and a NUL. */
	size_t extra = 1 + (size_t)len + 1;
	WCHAR *path = NULL;
	int64_t got = dir == BLIT_CWD ? 0 : final_path((HANDLE)(intptr_t)dir, extra, &path);
	if (got < 0) return got;
	if (dir == BLIT_CWD) path = HeapAlloc(GetProcessHeap(), 0, extra * sizeof(WCHAR));
	WCHAR *to = HeapAlloc(GetProcessHeap(), 0, ((size_t)units + 1) * sizeof(WCHAR));
	int64_t r = 0;
	if (!path || !to) {
		r = fail_kind(K_ENOMEM);
	} else {
		DWORD at = (DWORD)got;
		if (at > 0 && path[at - 1] != '\\') path[at++] = '\\';
		int64_t name_units = wtf8_to_utf16(name, len, path + at, len, 1);
		memcpy(to, target, units * sizeof(WCHAR));
		to[units] = 0;
		if (name_units < 0) {
			r = fail_kind(K_EINVAL);
		} else {
			path[at + name_units] = 0;
			DWORD flags = SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE | (to_dir ? SYMBOLIC_LINK_FLAG_DIRECTORY : 0);
			if (!CreateSymbolicLinkW(path, to, flags)) r = fail_last();
		}
	}
	if (path) HeapFree(GetProcessHeap(), 0, path);
	if (to) HeapFree(GetProcessHeap(), 0, to);
	return r;
}

/*
 * A target whose reparse data would pass MAXIMUM_REPARSE_DATA_BUFFER_SIZE
 * (16 KiB: both its names, about 4,000 units each): refused before anything
 * is made, with the words a too-long name gets (set_nt_name), where the
 * file system would answer only "the data is invalid".
 */
static int64_t target_too_long(void)
{
	return fail_code(ERROR_FILENAME_EXCED_RANGE, K_EINVAL);
}

/*
 * A junction (dir, name) -> target, an NT path (\??\C:\dir) as
 * blit_readlink gives a junction's: IO_REPARSE_TAG_MOUNT_POINT, both names
 * NUL-terminated as Windows writes them. No privilege needed.
 */
static int64_t make_junction(const WCHAR *sub, uint32_t units, int64_t dir, const uint8_t *name, uint32_t len)
{
	const WCHAR *print = sub + 4;
	uint32_t print_units = units - 4;
	uint32_t path_bytes = (units + 1 + print_units + 1) * sizeof(WCHAR);
	uint32_t total = 16 + path_bytes;
	if (total > MAXIMUM_REPARSE_DATA_BUFFER_SIZE) return target_too_long();
	uint8_t *buf = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, total);
	if (!buf) return fail_kind(K_ENOMEM);
	ULONG tag = IO_REPARSE_TAG_MOUNT_POINT;
	USHORT head[6] = { (USHORT)(path_bytes + 8), 0, 0, (USHORT)(units * 2), (USHORT)((units + 1) * 2), (USHORT)(print_units * 2) };
	memcpy(buf, &tag, 4);
	memcpy(buf + 4, head, sizeof head);
	memcpy(buf + 16, sub, units * sizeof(WCHAR));
	memcpy(buf + 16 + (units + 1) * sizeof(WCHAR), print, print_units * sizeof(WCHAR));
	int64_t r = make_reparse_point(dir, name, len, 1, buf, total);
	HeapFree(GetProcessHeap(), 0, buf);
	return r;
}

/*
 * A symlink (dir, name) -> target; to_dir makes it a directory symlink, or,
 * for a target that is an NT path (\??\...), a junction. Made relative to
 * dir (create, then FSCTL_SET_REPARSE_POINT), so no path is involved.
 * Without the privilege a symlink takes (an administrator, or Developer
 * Mode), the error says so.
 */
BLIT_EXPORT int64_t blit_symlink(const uint8_t *target, uint32_t target_len, int64_t dir, const uint8_t *name, uint32_t len, int32_t to_dir)
{
	native_calls++;
	if (target_len == 0) return fail_kind(K_EINVAL);
	/* Past what the arrays below hold: twice what fits in reparse data. */
	if (target_len > 8000) return target_too_long();
	WCHAR print[8192];
	int64_t units = wtf8_to_utf16(target, target_len, print, 8000, 1);
	if (units < 0) return fail_kind(K_EINVAL);
	if (to_dir && units > 4 && print[0] == '\\' && print[1] == '?' && print[2] == '?' && print[3] == '\\')
		return make_junction(print, (uint32_t)units, dir, name, len);
	/* Absolute: "C:\x" or "\\server\share" (the substitute name is an NT path); anything else is relative. */
	int drive = units >= 3 && print[1] == ':' && print[2] == '\\';
	int unc = units >= 2 && print[0] == '\\' && print[1] == '\\';
	int nt = units >= 4 && print[0] == '\\' && (print[1] == '?' || print[1] == '\\') && print[2] == '?' && print[3] == '\\';
	WCHAR sub[8200];
	uint32_t sub_units = 0;
	if (drive || (unc && !nt)) {
		const WCHAR *prefix = drive ? L"\\??\\" : L"\\??\\UNC";
		for (; prefix[sub_units]; sub_units++) sub[sub_units] = prefix[sub_units];
		const WCHAR *rest = drive ? print : print + 1;
		uint32_t rest_units = drive ? (uint32_t)units : (uint32_t)units - 1;
		memcpy(sub + sub_units, rest, rest_units * sizeof(WCHAR));
		sub_units += rest_units;
	} else {
		memcpy(sub, print, units * sizeof(WCHAR));
		sub_units = (uint32_t)units;
		if (nt) sub[1] = '?';
	}
	uint32_t path_bytes = (sub_units + (uint32_t)units) * sizeof(WCHAR);
	uint32_t total = 20 + path_bytes;
	if (total > MAXIMUM_REPARSE_DATA_BUFFER_SIZE) return target_too_long();
	uint8_t *buf = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, total);
	if (!buf) return fail_kind(K_ENOMEM);
	ULONG tag = IO_REPARSE_TAG_SYMLINK, flags = (drive || unc || nt) ? 0 : SYMLINK_FLAG_RELATIVE;
	USHORT head[6] = { (USHORT)(path_bytes + 12), 0, 0, (USHORT)(sub_units * 2), (USHORT)(sub_units * 2), (USHORT)(units * 2) };
	memcpy(buf, &tag, 4);
	memcpy(buf + 4, head, sizeof head);
	memcpy(buf + 16, &flags, 4);
	memcpy(buf + 20, sub, sub_units * sizeof(WCHAR));
	memcpy(buf + 20 + sub_units * sizeof(WCHAR), print, (size_t)units * sizeof(WCHAR));

	int64_t r = make_reparse_point(dir, name, len, to_dir, buf, total);
	HeapFree(GetProcessHeap(), 0, buf);
	if (r < 0 && ((-r) & 0xff) == K_EPERM) r = symlink_unprivileged(print, (uint32_t)units, dir, name, len, to_dir);
	return r;
}

/* ------------------------------------------------------------------ alternate data streams */

#define CLASS_STREAM ((FILE_INFORMATION_CLASS)22)
/* Where a file's stream list stops growing the buffer: 16 MiB, some 30,000 streams of the longest names. */
#define STREAM_LIST_MAX (16u << 20)

/*
 * FileStreamInformation of h into a heap buffer the caller frees. A list
 * too long for the buffer comes back cut short, with a status saying so,
 * and nothing says how long it is: it is asked for again in twice the room.
 */
static NTSTATUS stream_list(HANDLE h, uint8_t **out, IO_STATUS_BLOCK *io)
{
	for (ULONG size = 64 << 10;; size *= 2) {
		uint8_t *buf = HeapAlloc(GetProcessHeap(), 0, size);
		if (!buf) return (NTSTATUS)0xC0000017; /* NO_MEMORY */
		NTSTATUS st = NtQueryInformationFile(h, io, buf, size, CLASS_STREAM);
		if ((st != ST_BUFFER_OVERFLOW && st != ST_BUFFER_TOO_SMALL) || size >= STREAM_LIST_MAX) {
			*out = buf;
			return st;
		}
		HeapFree(GetProcessHeap(), 0, buf);
	}
}

/*
 * The named data streams of an open file or directory (Zone.Identifier,
 * ...), each as its name alone, WTF-8, NUL after each; the unnamed stream
 * (the file's data) is not one of them. Returns the bytes the list takes
 * (more than cap: call again).
 */
BLIT_EXPORT int64_t blit_streams(int64_t h, uint8_t *out, uint32_t cap)
{
	native_calls++;
	uint8_t *buf = NULL;
	IO_STATUS_BLOCK io;
	NTSTATUS st = stream_list((HANDLE)(intptr_t)h, &buf, &io);
	int64_t r = 0;
	if (!NT_SUCCESS(st)) {
		r = kind_of_status(st) == K_EOPNOTSUPP || (uint32_t)st == 0xC000000D ? 0 : fail_status(st);
	} else if (io.Information > 0) {
		uint32_t at = 0;
		for (FILE_STREAM_INFORMATION *e = (void *)buf;; e = (void *)((uint8_t *)e + e->NextEntryOffset)) {
			/* ":name:$DATA"; "::$DATA" is the file's own data. */
			const WCHAR *name = e->StreamName + 1;
			uint32_t units = e->StreamNameLength / sizeof(WCHAR);
			if (units > 7 && wcsncmp(e->StreamName + units - 6, L":$DATA", 6) == 0 && units - 7 > 0) {
				uint32_t n = utf16_to_wtf8(name, units - 7, at < cap ? out + at : NULL, at < cap ? cap - at : 0);
				at += n;
				if (at < cap) out[at] = 0;
				at++;
			}
			if (e->NextEntryOffset == 0) break;
		}
		r = at;
	}
	if (buf) HeapFree(GetProcessHeap(), 0, buf);
	return r;
}

/* Whether the volume h is on says it has `flag` (FILE_NAMED_STREAMS, FILE_PERSISTENT_ACLS...). */
static int volume_has(HANDLE h, DWORD flag)
{
	IO_STATUS_BLOCK io;
	union {
		FILE_FS_ATTRIBUTE_INFORMATION info;
		uint8_t room[512];
	} fs;
	NTSTATUS st = NtQueryVolumeInformationFile(h, &io, &fs, sizeof fs, FS_ATTRIBUTE);
	return (NT_SUCCESS(st) || st == ST_BUFFER_OVERFLOW) && (fs.info.FileSystemAttributes & flag);
}

/* Opens the stream `name` of the open file h: ":name" relative to it. */
static int64_t open_stream(int64_t h, const uint8_t *name, uint32_t len, ACCESS_MASK access, ULONG disposition, HANDLE *out)
{
	if (len == 0 || len > 1024) return fail_kind(K_EINVAL);
	uint8_t relative[1025];
	relative[0] = ':';
	memcpy(relative + 1, name, len);
	return nt_open(h, relative, len + 1, access, disposition, FILE_NON_DIRECTORY_FILE, out);
}

/* A stream is copied whole through memory, as an xattr is: one larger than this is refused, not loaded. */
#define MAX_STREAM_BYTES (1LL << 30)

/* The contents of stream `name` of h into out. Returns its size (more than cap: call again). */
BLIT_EXPORT int64_t blit_stream_get(int64_t h, const uint8_t *name, uint32_t len, uint8_t *out, uint32_t cap)
{
	native_calls++;
	HANDLE s;
	int64_t r = open_stream(h, name, len, FILE_GENERIC_READ, FILE_OPEN, &s);
	if (r < 0) return r;
	FILE_STANDARD_INFORMATION info;
	IO_STATUS_BLOCK io;
	NTSTATUS st = NtQueryInformationFile(s, &io, &info, sizeof info, FileStandardInformation);
	if (!NT_SUCCESS(st)) {
		r = fail_status(st);
	} else if (info.EndOfFile.QuadPart > MAX_STREAM_BYTES) {
		r = fail_code(ERROR_FILE_TOO_LARGE, K_ENOMEM);
	} else if ((uint64_t)info.EndOfFile.QuadPart > cap) {
		r = info.EndOfFile.QuadPart;
	} else {
		LARGE_INTEGER at = { .QuadPart = 0 };
		st = NtReadFile(s, NULL, NULL, NULL, &io, out, (ULONG)info.EndOfFile.QuadPart, &at, NULL);
		r = st == ST_END_OF_FILE ? 0 : NT_SUCCESS(st) ? (int64_t)io.Information : fail_status(st);
	}
	NtClose(s);
	return r;
}

/* Stream `name` of h made (or replaced) to hold value. */
BLIT_EXPORT int64_t blit_stream_set(int64_t h, const uint8_t *name, uint32_t len, const uint8_t *value, uint32_t value_len)
{
	native_calls++;
	HANDLE s;
	int64_t r = open_stream(h, name, len, FILE_GENERIC_WRITE, FILE_OVERWRITE_IF, &s);
	/* FAT, exFAT and many NAS shares have no streams: there the name is "not found" or "invalid", and the copy goes on without it, as an xattr the destination cannot hold. */
	if (r < 0 && !volume_has((HANDLE)(intptr_t)h, FILE_NAMED_STREAMS)) return fail_kind(K_EOPNOTSUPP);
	if (r < 0) return r;
	IO_STATUS_BLOCK io;
	LARGE_INTEGER at = { .QuadPart = 0 };
	NTSTATUS st = value_len ? NtWriteFile(s, NULL, NULL, NULL, &io, (void *)value, value_len, &at, NULL) : 0;
	NtClose(s);
	if (!NT_SUCCESS(st)) return fail_status(st);
	return value_len && io.Information != value_len ? fail_kind(K_EIO) : 0;
}

/* ------------------------------------------------------------------ security descriptors */

/* The parts blit_security_get and _set read and write, each as a self-relative descriptor holding it alone. */
#define SECURITY_OWNER 1 /* owner and group */
#define SECURITY_ACLS 2  /* the DACL, and the SACL where SeSecurityPrivilege is held */

/* Privileges by their fixed LUIDs (SE_*_PRIVILEGE in ntddk.h). */
#define PRIVILEGE_SECURITY 8 /* SeSecurityPrivilege: reading and writing a SACL */
#define PRIVILEGE_RESTORE 18 /* SeRestorePrivilege: any owner, and opens past the DACL with backup intent */
#define ST_NOT_ALL_ASSIGNED ((NTSTATUS)0x00000106L)

/* Per privilege: 0 not tried yet, 1 enabled, -1 not held (administrators hold both, disabled). */
static volatile LONG privilege_state[PRIVILEGE_RESTORE + 1];

/* Enables a privilege of the process's token, the first time it is wanted: whether it is enabled. */
static int enable_privilege(ULONG luid)
{
	if (privilege_state[luid] == 0) {
		LONG state = -1;
		HANDLE token;
		if (NT_SUCCESS(NtOpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &token))) {
			TOKEN_PRIVILEGES wanted = { .PrivilegeCount = 1 };
			wanted.Privileges[0].Luid.LowPart = luid;
			wanted.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
			/* A token without it: success, but STATUS_NOT_ALL_ASSIGNED. */
			NTSTATUS st = NtAdjustPrivilegesToken(token, FALSE, &wanted, sizeof wanted, NULL, NULL);
			if (NT_SUCCESS(st) && st != ST_NOT_ALL_ASSIGNED) state = 1;
			NtClose(token);
		}
		InterlockedExchange(&privilege_state[luid], state);
	}
	return privilege_state[luid] == 1;
}

/*
 * For doctor: which privileges blit enables when it needs them the
 * process's token holds, enabled or not: 1 SeRestorePrivilege, 2
 * SeSecurityPrivilege.
 */
BLIT_EXPORT int64_t blit_privileges_held(void)
{
	native_calls++;
	HANDLE token;
	if (!NT_SUCCESS(NtOpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))) return 0;
	union {
		TOKEN_PRIVILEGES list;
		uint8_t room[4096];
	} privileges;
	ULONG got;
	NTSTATUS st = NtQueryInformationToken(token, TokenPrivileges, &privileges, sizeof privileges, &got);
	NtClose(token);
	if (!NT_SUCCESS(st)) return 0;
	int64_t held = 0;
	for (DWORD i = 0; i < privileges.list.PrivilegeCount; i++) {
		LUID id = privileges.list.Privileges[i].Luid;
		if (id.HighPart == 0 && id.LowPart == PRIVILEGE_RESTORE) held |= 1;
		if (id.HighPart == 0 && id.LowPart == PRIVILEGE_SECURITY) held |= 2;
	}
	return held;
}

/* Whether the volume h is on keeps ACLs: FAT's files have none (Windows makes up a world-access one for them). */
static int keeps_acls(HANDLE h)
{
	return volume_has(h, FILE_PERSISTENT_ACLS);
}

/*
 * A handle to read or write a descriptor through: h itself, or (h, name)
 * opened with `access`, not following a link. The SACL takes a handle
 * opened for it (ACCESS_SYSTEM_SECURITY), as does an h opened without the
 * rights (a source directory we may not change): "." relative to h is h's
 * own file opened again, as ReOpenFile does. *opened says to close it.
 */
static int64_t security_handle(int64_t h, const uint8_t *name, uint32_t len, ACCESS_MASK access, int reopen, HANDLE *out, int *opened)
{
	*opened = len > 0 || reopen;
	if (!*opened) {
		*out = (HANDLE)(intptr_t)h;
		return 0;
	}
	return len > 0 ? nt_open(h, name, len, access, FILE_OPEN, FILE_OPEN_REPARSE_POINT, out) : reopen_file((HANDLE)(intptr_t)h, access, out);
}

static SECURITY_INFORMATION part_info(uint32_t part, int sacl)
{
	return part == SECURITY_OWNER ? OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION
		: DACL_SECURITY_INFORMATION | (sacl ? SACL_SECURITY_INFORMATION : 0);
}

/*
 * A part of the descriptor of the open file or directory h (len 0) or of
 * (h, name), self-relative, as the file system keeps it: a DACL with its
 * control bits (protected, auto-inherited) and each ACE's inherited flag.
 * Returns its size (more than cap: call again); EOPNOTSUPP on a volume
 * without ACLs (FAT, exFAT), which cannot hold one.
 */
BLIT_EXPORT int64_t blit_security_get(int64_t h, const uint8_t *name, uint32_t len, uint32_t part, uint8_t *out, uint32_t cap)
{
	native_calls++;
	if (part != SECURITY_OWNER && part != SECURITY_ACLS) return fail_kind(K_EINVAL);
	int sacl = part == SECURITY_ACLS && enable_privilege(PRIVILEGE_SECURITY);
	ACCESS_MASK access = READ_CONTROL | (sacl ? ACCESS_SYSTEM_SECURITY : 0);
	HANDLE target;
	int opened;
	int64_t r = security_handle(h, name, len, access, sacl, &target, &opened);
	if (r < 0) return r;
	if (!keeps_acls(target)) {
		r = fail_kind(K_EOPNOTSUPP);
	} else {
		ULONG size = 0;
		NTSTATUS st = NtQuerySecurityObject(target, part_info(part, sacl), out, cap, &size);
		if (st == ST_ACCESS_DENIED && !opened) {
			r = security_handle(h, name, len, access, 1, &target, &opened);
			if (r < 0) return r;
			st = NtQuerySecurityObject(target, part_info(part, sacl), out, cap, &size);
		}
		r = NT_SUCCESS(st) || st == ST_BUFFER_TOO_SMALL ? (int64_t)size : fail_status(st);
	}
	if (opened) NtClose(target);
	return r;
}

/* NtSetSecurityObject, through h or, refused there, through h opened again with the rights it takes. */
static NTSTATUS set_security(HANDLE h, SECURITY_INFORMATION info, PSECURITY_DESCRIPTOR sd, ACCESS_MASK access)
{
	NTSTATUS st = NtSetSecurityObject(h, info, sd);
	if (st != ST_ACCESS_DENIED) return st;
	HANDLE again;
	int opened;
	if (security_handle((int64_t)(intptr_t)h, NULL, 0, access, 1, &again, &opened) < 0) return st;
	st = NtSetSecurityObject(again, info, sd);
	NtClose(again);
	return st;
}

/*
 * Sets a part blit_security_get read on h (len 0) or on (h, name), as it
 * is: a DACL keeps its protected bit and its ACEs their inherited flags
 * (robocopy /SEC's result; the README says why). An owner other than the
 * caller takes SeRestorePrivilege, enabled here the first time a part is
 * set: without it the group alone is set and EPERM returned, as chown by
 * a non-root user keeps the group. A SACL is set only where SeSecurityPrivilege is
 * held (it was read only then). Nothing to do on a volume without ACLs.
 */
BLIT_EXPORT int64_t blit_security_set(int64_t h, const uint8_t *name, uint32_t len, uint32_t part, const uint8_t *sd, uint32_t sd_len)
{
	native_calls++;
	if ((part != SECURITY_OWNER && part != SECURITY_ACLS) || !RtlValidRelativeSecurityDescriptor((PSECURITY_DESCRIPTOR)sd, sd_len, 0))
		return fail_kind(K_EINVAL);
	SECURITY_DESCRIPTOR_CONTROL control = ((const SECURITY_DESCRIPTOR_RELATIVE *)sd)->Control;
	int sacl = part == SECURITY_ACLS && (control & SE_SACL_PRESENT) && enable_privilege(PRIVILEGE_SECURITY);
	/*
	 * Also for a DACL: a copied one may refuse us DELETE or
	 * FILE_WRITE_ATTRIBUTES, which the rename and the attributes set by
	 * name need; every open here asks with backup intent, which the
	 * privilege lets past the DACL.
	 */
	enable_privilege(PRIVILEGE_RESTORE);
	HANDLE target;
	int opened;
	/* Only the right the part takes: an owner who may change the DACL may not be granted WRITE_OWNER. */
	ACCESS_MASK access = READ_CONTROL | (part == SECURITY_OWNER ? WRITE_OWNER : WRITE_DAC);
	int64_t r = security_handle(h, name, len, access, 0, &target, &opened);
	if (r < 0) return r;
	if (keeps_acls(target)) {
		PSECURITY_DESCRIPTOR given = (PSECURITY_DESCRIPTOR)sd;
		NTSTATUS st = set_security(target, part_info(part, 0), given, access);
		if (part == SECURITY_OWNER && kind_of_status(st) == K_EPERM) {
			set_security(target, GROUP_SECURITY_INFORMATION, given, access);
		} else if (NT_SUCCESS(st) && sacl) {
			HANDLE audit;
			int audit_opened;
			r = security_handle((int64_t)(intptr_t)target, NULL, 0, ACCESS_SYSTEM_SECURITY, 1, &audit, &audit_opened);
			if (r == 0) {
				st = NtSetSecurityObject(audit, SACL_SECURITY_INFORMATION, given);
				NtClose(audit);
			}
		}
		if (r == 0 && !NT_SUCCESS(st)) r = fail_status(st);
	}
	if (opened) NtClose(target);
	return r;
}

/* ------------------------------------------------------------------ data */

/*
 * Where the next data (want_hole 0) or hole (1) at or after pos starts, as
 * SEEK_DATA and SEEK_HOLE say it: -ENXIO when no data follows, the end
 * counts as a hole. A file without FILE_ATTRIBUTE_SPARSE_FILE is all data.
 * EOPNOTSUPP where the volume reports no ranges (FAT; Wine 8 answers
 * ERROR_INVALID_PARAMETER), so the engine copies front to back.
 */
BLIT_EXPORT int64_t blit_next_extent(int64_t fd, int64_t pos, int64_t want_hole)
{
	native_calls++;
	HANDLE h = (HANDLE)(intptr_t)fd;
	uint64_t stat[12];
	int64_t r = stat_handle(h, stat);
	if (r < 0) return r;
	int64_t size = (int64_t)stat[1];
	if (pos >= size) return want_hole ? size : fail_code(ERROR_HANDLE_EOF, K_ENXIO);
	if (!(stat[0] & FILE_ATTRIBUTE_SPARSE_FILE)) return want_hole ? size : pos;
	FILE_ALLOCATED_RANGE_BUFFER query = { .FileOffset.QuadPart = pos, .Length.QuadPart = size - pos }, range;
	DWORD got = 0;
	/* One range is enough: ERROR_MORE_DATA still fills the first. */
	if (!DeviceIoControl(h, FSCTL_QUERY_ALLOCATED_RANGES, &query, sizeof query, &range, sizeof range, &got, NULL)) {
		DWORD code = GetLastError();
		if (code == ERROR_INVALID_PARAMETER || code == ERROR_INVALID_FUNCTION) return fail_kind(K_EOPNOTSUPP);
		if (code != ERROR_MORE_DATA) return fail_code(code, kind_of_win32(code));
	}
	if (got < sizeof range) return want_hole ? pos : fail_code(ERROR_HANDLE_EOF, K_ENXIO);
	int64_t start = range.FileOffset.QuadPart > pos ? range.FileOffset.QuadPart : pos;
	int64_t end = range.FileOffset.QuadPart + range.Length.QuadPart;
	if (!want_hole) return start;
	return start > pos ? pos : (end < size ? end : size);
}

/*
 * dst keeps the holes it is not written in only when it is sparse: NTFS
 * fills a gap with allocated zeros otherwise. Nothing to do for a source
 * that is not sparse.
 */
BLIT_EXPORT int64_t blit_sparse_like(int64_t src, int64_t dst)
{
	native_calls++;
	uint64_t stat[12];
	int64_t r = stat_handle((HANDLE)(intptr_t)src, stat);
	if (r < 0) return r;
	DWORD got;
	if ((stat[0] & FILE_ATTRIBUTE_SPARSE_FILE)
	    && !DeviceIoControl((HANDLE)(intptr_t)dst, FSCTL_SET_SPARSE, NULL, 0, NULL, 0, &got, NULL))
		return fail_last();
	return 0;
}

/*
 * Block cloning (ReFS, Dev Drive): all of src into the empty dst, in
 * cluster-aligned FSCTL_DUPLICATE_EXTENTS_TO_FILE calls under 4 GiB, after
 * giving dst src's size (and sparseness), as the documentation asks.
 * EOPNOTSUPP where the volume cannot.
 */
BLIT_EXPORT int64_t blit_clone(int64_t src, int64_t dst)
{
	native_calls++;
	HANDLE s = (HANDLE)(intptr_t)src, d = (HANDLE)(intptr_t)dst;
	IO_STATUS_BLOCK io;
	union {
		FILE_FS_ATTRIBUTE_INFORMATION info;
		uint8_t room[512];
	} fs;
	NTSTATUS st = NtQueryVolumeInformationFile(d, &io, &fs, sizeof fs, FS_ATTRIBUTE);
	if (!NT_SUCCESS(st)) return fail_status(st);
	if (!(fs.info.FileSystemAttributes & BLOCK_REFCOUNTING)) return fail_kind(K_EOPNOTSUPP);
	FILE_FS_SIZE_INFORMATION size;
	st = NtQueryVolumeInformationFile(d, &io, &size, sizeof size, FS_SIZE);
	if (!NT_SUCCESS(st)) return fail_status(st);
	uint64_t cluster = (uint64_t)size.SectorsPerAllocationUnit * size.BytesPerSector;
	uint64_t stat[12];
	int64_t r = stat_handle(s, stat);
	if (r < 0) return r;
	DWORD got;
	if ((stat[0] & FILE_ATTRIBUTE_SPARSE_FILE) && !DeviceIoControl(d, FSCTL_SET_SPARSE, NULL, 0, NULL, 0, &got, NULL))
		return fail_last();
	FILE_END_OF_FILE_INFORMATION eof = { .EndOfFile.QuadPart = (LONGLONG)stat[1] };
	st = NtSetInformationFile(d, &io, &eof, sizeof eof, CLASS_END_OF_FILE);
	if (!NT_SUCCESS(st)) return fail_status(st);
	const uint64_t chunk = (1ull << 31) - ((1ull << 31) % cluster);
	uint64_t end = (stat[1] + cluster - 1) / cluster * cluster;
	for (uint64_t at = 0; at < end; at += chunk) {
		struct {
			HANDLE file;
			LARGE_INTEGER from, to, count;
		} dup = { s, { .QuadPart = (LONGLONG)at }, { .QuadPart = (LONGLONG)at },
			  { .QuadPart = (LONGLONG)(end - at < chunk ? end - at : chunk) } };
		if (!DeviceIoControl(d, FSCTL_DUPLICATE_EXTENTS_TO_FILE, &dup, sizeof dup, NULL, 0, &got, NULL)) {
			r = fail_last();
			eof.EndOfFile.QuadPart = 0; /* empty again, for the next method */
			NtSetInformationFile(d, &io, &eof, sizeof eof, CLASS_END_OF_FILE);
			return r;
		}
	}
	return 0;
}

/*
 * The server's own copy, as CopyFile makes it on a network share: SOURCE's
 * open file is named to the server by a resume key, and the destination's
 * open file asks the server to copy chunks of it (SMB2 server-side copy,
 * MS-SMB2 2.2.31.1). The bytes never cross the network. Up to len bytes from
 * src_pos to dst_pos: the bytes copied, 0 at SOURCE's end. Where the two
 * handles are not on one server (a local volume, two servers) it fails as
 * EOPNOTSUPP or EXDEV, and the engine reads and writes instead.
 */
#define SERVER_COPY_CHUNK (1u << 20)
#define SERVER_COPY_CHUNKS 16 /* 16 MiB a request: a Windows server's default ServerSideCopyMaxDataSize */
#define FSCTL_SRV_REQUEST_RESUME_KEY_CODE CTL_CODE(FILE_DEVICE_NETWORK_FILE_SYSTEM, 30, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FSCTL_SRV_COPYCHUNK_WRITE_CODE CTL_CODE(FILE_DEVICE_NETWORK_FILE_SYSTEM, 60, METHOD_OUT_DIRECT, FILE_WRITE_ACCESS)

struct server_copy_request {
	uint8_t source_key[24];
	ULONG chunk_count;
	ULONG reserved;
	struct {
		LARGE_INTEGER source_offset, target_offset;
		ULONG length, reserved;
	} chunks[SERVER_COPY_CHUNKS];
};

struct server_copy_response {
	ULONG chunks_written, chunk_bytes_written, total_bytes_written;
};

/* SRV_COPYCHUNK_COPY's layout: a 32-byte head, then 24 bytes a chunk. */
_Static_assert(offsetof(struct server_copy_request, chunks) == 32, "SRV_COPYCHUNK_COPY head");
_Static_assert(sizeof(((struct server_copy_request *)0)->chunks[0]) == 24, "SRV_COPYCHUNK");
_Static_assert(FSCTL_SRV_REQUEST_RESUME_KEY_CODE == 0x00140078, "FSCTL_SRV_REQUEST_RESUME_KEY");
_Static_assert(FSCTL_SRV_COPYCHUNK_WRITE_CODE == 0x001480F2, "FSCTL_SRV_COPYCHUNK_WRITE");

/* A failure of the copy request that means "not between these two": the next method. */
static int64_t server_copy_refused(DWORD code)
{
	if (code == ERROR_FILE_NOT_FOUND || code == ERROR_NOT_SAME_DEVICE || code == ERROR_INVALID_FUNCTION ||
	    code == ERROR_NOT_SUPPORTED || code == ERROR_INVALID_PARAMETER)
		return fail_code(code, K_EXDEV);
	return fail_code(code, kind_of_win32(code));
}

BLIT_EXPORT int64_t blit_server_copy(int64_t src, int64_t src_pos, int64_t dst, int64_t dst_pos, int64_t len)
{
	native_calls++;
	HANDLE s = (HANDLE)(intptr_t)src, d = (HANDLE)(intptr_t)dst;
	uint64_t stat[12];
	int64_t r = stat_handle(s, stat);
	if (r < 0) return r;
	if (src_pos < 0 || len <= 0 || (uint64_t)src_pos >= stat[1]) return 0;
	uint64_t left = stat[1] - (uint64_t)src_pos;
	if ((uint64_t)len < left) left = (uint64_t)len;
	struct {
		uint8_t key[24];
		ULONG context_length;
		uint8_t context[8];
	} resume;
	DWORD got;
	/* No key, for whatever reason (a local volume says INVALID_FUNCTION): nothing to hand to a server. */
	if (!DeviceIoControl(s, FSCTL_SRV_REQUEST_RESUME_KEY_CODE, NULL, 0, &resume, sizeof resume, &got, NULL))
		return fail_code(GetLastError(), K_EOPNOTSUPP);
	if (got < sizeof resume.key) return fail_code(ERROR_NOT_SUPPORTED, K_EOPNOTSUPP);
	struct server_copy_request req = { .chunk_count = 0 };
	memcpy(req.source_key, resume.key, sizeof req.source_key);
	for (uint64_t at = 0; at < left && req.chunk_count < SERVER_COPY_CHUNKS; at += SERVER_COPY_CHUNK) {
		ULONG n = left - at < SERVER_COPY_CHUNK ? (ULONG)(left - at) : SERVER_COPY_CHUNK;
		req.chunks[req.chunk_count].source_offset.QuadPart = src_pos + (int64_t)at;
		req.chunks[req.chunk_count].target_offset.QuadPart = dst_pos + (int64_t)at;
		req.chunks[req.chunk_count].length = n;
		req.chunk_count++;
	}
	struct server_copy_response out = { 0, 0, 0 };
	DWORD in_size = (DWORD)(offsetof(struct server_copy_request, chunks) + req.chunk_count * sizeof req.chunks[0]);
	/* A failed request's counts are not bytes written (INVALID_PARAMETER gives the server's limits there). */
	if (!DeviceIoControl(d, FSCTL_SRV_COPYCHUNK_WRITE_CODE, &req, in_size, &out, sizeof out, &got, NULL))
		return server_copy_refused(GetLastError());
	/* Nothing copied of a range SOURCE holds: 0 would read as its end, and the copy would be cut short. */
	if (out.total_bytes_written == 0) return fail_code(ERROR_NOT_SUPPORTED, K_EXDEV);
	return out.total_bytes_written;
}

/* ------------------------------------------------------------------ the process, the volume */

/*
 * The final path of (CWD, path) with every link resolved, as Windows writes
 * it (no \\?\ prefix; \\?\UNC\ becomes \\). Returns its bytes (more than cap:
 * call again).
 */
BLIT_EXPORT int64_t blit_realpath(const uint8_t *path, uint32_t len, uint8_t *out, uint32_t cap)
{
	native_calls++;
	HANDLE h;
	int64_t r = nt_open(BLIT_CWD, path, len, FILE_READ_ATTRIBUTES, FILE_OPEN, 0, &h);
	if (r < 0) return r;
	WCHAR *w;
	int64_t got = final_path(h, 0, &w);
	if (got < 0) {
		r = got;
	} else {
		DWORD n = (DWORD)got;
		WCHAR *p = w;
		if (n >= 8 && wcsncmp(p, L"\\\\?\\UNC\\", 8) == 0) {
			p += 6;
			p[0] = '\\';
			n -= 6;
		} else if (n >= 4 && wcsncmp(p, L"\\\\?\\", 4) == 0) {
			p += 4;
			n -= 4;
		}
		r = utf16_to_wtf8(p, n, out, cap);
		HeapFree(GetProcessHeap(), 0, w);
	}
	NtClose(h);
	return r;
}

/*
 * What doctor says of the volume h is on: its file system's name (WTF-8,
 * into name) and, into info: [0] FILE_SUPPORTS_* flags, [1] cluster size,
 * [2] maximum component length, [3] 1 on a network share. Returns the name's length.
 */
BLIT_EXPORT int64_t blit_volume(int64_t h, uint8_t *name, uint32_t cap, uint64_t *info)
{
	native_calls++;
	IO_STATUS_BLOCK io;
	union {
		FILE_FS_ATTRIBUTE_INFORMATION info;
		uint8_t room[1024];
	} fs;
	NTSTATUS st = NtQueryVolumeInformationFile((HANDLE)(intptr_t)h, &io, &fs, sizeof fs, FS_ATTRIBUTE);
	if (!NT_SUCCESS(st)) return fail_status(st);
	FILE_FS_SIZE_INFORMATION size;
	st = NtQueryVolumeInformationFile((HANDLE)(intptr_t)h, &io, &size, sizeof size, FS_SIZE);
	info[0] = fs.info.FileSystemAttributes;
	info[1] = NT_SUCCESS(st) ? (uint64_t)size.SectorsPerAllocationUnit * size.BytesPerSector : 0;
	info[2] = fs.info.MaximumComponentNameLength;
	FILE_FS_DEVICE_INFORMATION device;
	st = NtQueryVolumeInformationFile((HANDLE)(intptr_t)h, &io, &device, sizeof device, FS_DEVICE);
	info[3] = NT_SUCCESS(st) && (device.Characteristics & DEVICE_REMOTE);
	return utf16_to_wtf8(fs.info.FileSystemName, fs.info.FileSystemNameLength / sizeof(WCHAR), name, cap);
}

/*
 * Whether names in directory h are looked up ignoring case: 1, 0, or a
 * failure. Every open here asks for OBJ_CASE_INSENSITIVE, Windows' default,
 * so they are, unless the directory is marked case-sensitive
 * (FILE_CS_FLAG_CASE_SENSITIVE_DIR, as WSL and `fsutil file
 * setCaseSensitiveInfo` mark them); where that class is unknown (before
 * Windows 10 1803, FAT, Wine), the default holds. The volume's
 * FILE_CASE_SENSITIVE_SEARCH says only that NTFS could tell names apart.
 */
BLIT_EXPORT int64_t blit_ignores_case(int64_t h)
{
	native_calls++;
	IO_STATUS_BLOCK io;
	ULONG flags = 0;
	NTSTATUS st = NtQueryInformationFile((HANDLE)(intptr_t)h, &io, &flags, sizeof flags, CLASS_CASE_SENSITIVE);
	if (!NT_SUCCESS(st)) return unsupported_class(st) ? 1 : fail_status(st);
	return !(flags & CS_FLAG_CASE_SENSITIVE_DIR);
}

/* Windows' version as major << 32 | minor << 16 | build (ntdll's own, not the manifest's). */
BLIT_EXPORT int64_t blit_windows_version(void)
{
	RTL_OSVERSIONINFOW v = { .dwOSVersionInfoSize = sizeof v };
	if (!NT_SUCCESS(RtlGetVersion(&v))) return 0;
	return ((int64_t)v.dwMajorVersion << 32) | ((int64_t)(v.dwMinorVersion & 0xffff) << 16) | (v.dwBuildNumber & 0xffff);
}
