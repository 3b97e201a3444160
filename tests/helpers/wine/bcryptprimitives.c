/*
 * A stand-in for Windows' bcryptprimitives.dll, for running blit.exe under
 * Wine 8 in the tests only (never shipped). Bun's Windows runtime imports
 * ProcessPrng from it, which Wine 8 lacks (the exe then fails to start with
 * status c0000135); this one answers from RtlGenRandom (SystemFunction036).
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
    if (!SystemFunction036(data, chunk)) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
