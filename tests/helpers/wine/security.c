/*
 * security.exe - reads and writes a file's security descriptor as SDDL,
 * for the Wine tests (never shipped); the reader is Windows' own
 * (GetFileSecurityW, ConvertSecurityDescriptorToStringSecurityDescriptorW),
 * not blit's:
 *
 *   security.exe get PATH         prints the owner, group and DACL: O:..G:..D:..
 *   security.exe set PATH SDDL    sets what SDDL holds of them (D:P.. protected)
 *   security.exe acls PATH        1 when PATH's volume keeps ACLs, else 0
 *
 * Exit status 0, or 1 with Windows' error code on stderr.
 */
#include <windows.h>
#include <sddl.h>
#include <stdio.h>

static int failed(const char *what)
{
	fprintf(stderr, "security: %s: error %lu\n", what, GetLastError());
	return 1;
}

static int get(const wchar_t *path)
{
	SECURITY_INFORMATION info = OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
	DWORD size = 0;
	GetFileSecurityW(path, info, NULL, 0, &size);
	if (size == 0) return failed("GetFileSecurityW");
	PSECURITY_DESCRIPTOR sd = LocalAlloc(LPTR, size);
	if (!GetFileSecurityW(path, info, sd, size, &size)) return failed("GetFileSecurityW");
	LPWSTR text;
	if (!ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, SDDL_REVISION_1, info, &text, NULL))
		return failed("ConvertSecurityDescriptorToStringSecurityDescriptorW");
	printf("%ls\n", text);
	return 0;
}

static int set(const wchar_t *path, const wchar_t *sddl)
{
	PSECURITY_DESCRIPTOR sd;
	if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sd, NULL))
		return failed("ConvertStringSecurityDescriptorToSecurityDescriptorW");
	SECURITY_DESCRIPTOR_CONTROL control;
	DWORD revision;
	GetSecurityDescriptorControl(sd, &control, &revision);
	PSID sid;
	BOOL present, defaulted;
	PACL acl;
	SECURITY_INFORMATION info = 0;
	if (GetSecurityDescriptorOwner(sd, &sid, &defaulted) && sid) info |= OWNER_SECURITY_INFORMATION;
	if (GetSecurityDescriptorGroup(sd, &sid, &defaulted) && sid) info |= GROUP_SECURITY_INFORMATION;
	if (GetSecurityDescriptorDacl(sd, &present, &acl, &defaulted) && present)
		info |= DACL_SECURITY_INFORMATION | (control & SE_DACL_PROTECTED ? PROTECTED_DACL_SECURITY_INFORMATION : 0);
	if (!SetFileSecurityW(path, info, sd)) return failed("SetFileSecurityW");
	return 0;
}

static int acls(const wchar_t *path)
{
	wchar_t root[MAX_PATH];
	DWORD flags;
	if (!GetVolumePathNameW(path, root, MAX_PATH)) return failed("GetVolumePathNameW");
	if (!GetVolumeInformationW(root, NULL, 0, NULL, NULL, &flags, NULL, 0)) return failed("GetVolumeInformationW");
	printf("%d\n", (flags & FILE_PERSISTENT_ACLS) != 0);
	return 0;
}

int wmain(int argc, wchar_t **argv)
{
	if (argc == 3 && wcscmp(argv[1], L"get") == 0) return get(argv[2]);
	if (argc == 4 && wcscmp(argv[1], L"set") == 0) return set(argv[2], argv[3]);
	if (argc == 3 && wcscmp(argv[1], L"acls") == 0) return acls(argv[2]);
	fprintf(stderr, "usage: security.exe get PATH | set PATH SDDL | acls PATH\n");
	return 2;
}
