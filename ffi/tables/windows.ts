/**
 * The Windows functions this module calls, declared once as data with the C prototype beside each.
 * Each runtime adapter derives its own declaration from these tables.
 *
 * @module
 */
import type { SymbolDef, SymbolTable } from "../types.ts";

/** ws2_32.dll */
export const WS2_32 = {
  WSAStartup: {
    c: "int WSAStartup(WORD wVersionRequested, LPWSADATA lpWSAData)",
    parameters: ["u16", "buffer"],
    result: "i32",
  },
  WSACleanup: { c: "int WSACleanup(void)", parameters: [], result: "i32" },
  WSAGetLastError: { c: "int WSAGetLastError(void)", parameters: [], result: "i32" },
  WSASocketW: {
    c: "SOCKET WSASocketW(int af, int type, int protocol, LPWSAPROTOCOL_INFOW lpProtocolInfo, GROUP g, DWORD dwFlags)",
    parameters: ["i32", "i32", "i32", "buffer", "u32", "u32"],
    result: "handle",
  },
  closesocket: { c: "int closesocket(SOCKET s)", parameters: ["handle"], result: "i32" },
  bind: {
    c: "int bind(SOCKET s, const struct sockaddr *name, int namelen)",
    parameters: ["handle", "buffer", "i32"],
    result: "i32",
  },
  connect: {
    c: "int connect(SOCKET s, const struct sockaddr *name, int namelen)",
    parameters: ["handle", "buffer", "i32"],
    result: "i32",
  },
  getsockname: {
    c: "int getsockname(SOCKET s, struct sockaddr *name, int *namelen)",
    parameters: ["handle", "buffer", "buffer"],
    result: "i32",
  },
  setsockopt: {
    c: "int setsockopt(SOCKET s, int level, int optname, const char *optval, int optlen)",
    parameters: ["handle", "i32", "i32", "buffer", "i32"],
    result: "i32",
  },
  getsockopt: {
    c: "int getsockopt(SOCKET s, int level, int optname, char *optval, int *optlen)",
    parameters: ["handle", "i32", "i32", "buffer", "buffer"],
    result: "i32",
  },
  ioctlsocket: {
    c: "int ioctlsocket(SOCKET s, long cmd, u_long *argp)",
    parameters: ["handle", "u32", "buffer"],
    result: "i32",
  },
  WSAIoctl: {
    c: "int WSAIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer, DWORD cbInBuffer, LPVOID lpvOutBuffer, DWORD cbOutBuffer, LPDWORD lpcbBytesReturned, LPWSAOVERLAPPED lpOverlapped, LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)",
    parameters: ["handle", "u32", "buffer", "u32", "buffer", "u32", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  sendto: {
    c: "int sendto(SOCKET s, const char *buf, int len, int flags, const struct sockaddr *to, int tolen)",
    parameters: ["handle", "buffer", "i32", "i32", "buffer", "i32"],
    result: "i32",
  },
  WSASendMsg: {
    c: "int WSASendMsg(SOCKET Handle, LPWSAMSG lpMsg, DWORD dwFlags, LPDWORD lpNumberOfBytesSent, LPWSAOVERLAPPED lpOverlapped, LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)",
    parameters: ["handle", "buffer", "u32", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  WSAEventSelect: {
    c: "int WSAEventSelect(SOCKET s, WSAEVENT hEventObject, long lNetworkEvents)",
    parameters: ["handle", "handle", "i32"],
    result: "i32",
  },
  WSACreateEvent: { c: "WSAEVENT WSACreateEvent(void)", parameters: [], result: "handle" },
  WSACloseEvent: { c: "BOOL WSACloseEvent(WSAEVENT hEvent)", parameters: ["handle"], result: "i32" },
  WSAResetEvent: { c: "BOOL WSAResetEvent(WSAEVENT hEvent)", parameters: ["handle"], result: "i32" },
  WSAGetOverlappedResult: {
    c: "BOOL WSAGetOverlappedResult(SOCKET s, LPWSAOVERLAPPED lpOverlapped, LPDWORD lpcbTransfer, BOOL fWait, LPDWORD lpdwFlags)",
    parameters: ["handle", "buffer", "buffer", "i32", "buffer"],
    result: "i32",
  },
} as const satisfies SymbolTable;

/** ws2_32.dll's resolver, for a socket bound or connected by name (Winsock must be started around it). */
export const WS2_RESOLVE = {
  getaddrinfo: {
    c: "INT getaddrinfo(PCSTR pNodeName, PCSTR pServiceName, const ADDRINFOA *pHints, PADDRINFOA *ppResult)",
    parameters: ["buffer", "handle", "buffer", "buffer"],
    result: "i32",
  },
  freeaddrinfo: { c: "VOID freeaddrinfo(PADDRINFOA pAddrInfo)", parameters: ["handle"], result: "void" },
} as const satisfies SymbolTable;

/** iphlpapi.dll: the interfaces and their addresses. */
export const IPHLPAPI = {
  GetAdaptersAddresses: {
    c: "ULONG GetAdaptersAddresses(ULONG Family, ULONG Flags, PVOID Reserved, PIP_ADAPTER_ADDRESSES AdapterAddresses, PULONG SizePointer)",
    parameters: ["u32", "u32", "handle", "buffer", "buffer"],
    result: "u32",
  },
} as const satisfies SymbolTable;

/** kernel32.dll: waiting on events from the thread pool, cancelling I/O, counting handles, lasting memory. */
export const KERNEL32 = {
  VirtualAlloc: {
    c: "LPVOID VirtualAlloc(LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType, DWORD flProtect)",
    parameters: ["handle", "handle", "u32", "u32"],
    result: "handle",
  },
  RegisterWaitForSingleObject: {
    c: "BOOL RegisterWaitForSingleObject(PHANDLE phNewWaitObject, HANDLE hObject, WAITORTIMERCALLBACK Callback, PVOID Context, ULONG dwMilliseconds, ULONG dwFlags)",
    parameters: ["buffer", "handle", "function", "handle", "u32", "u32"],
    result: "i32",
  },
  UnregisterWaitEx: {
    c: "BOOL UnregisterWaitEx(HANDLE WaitHandle, HANDLE CompletionEvent)",
    parameters: ["handle", "handle"],
    result: "i32",
  },
  CancelIoEx: {
    c: "BOOL CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped)",
    parameters: ["handle", "buffer"],
    result: "i32",
  },
  GetLastError: { c: "DWORD GetLastError(void)", parameters: [], result: "u32" },
  GetCurrentProcess: { c: "HANDLE GetCurrentProcess(void)", parameters: [], result: "handle" },
  GetProcessHandleCount: {
    c: "BOOL GetProcessHandleCount(HANDLE hProcess, PDWORD pdwHandleCount)",
    parameters: ["handle", "buffer"],
    result: "i32",
  },
} as const satisfies SymbolTable;

/**
 * The wait for completions off the JS thread (ffi/runtime/win_completion.ts): Deno calls it as a
 * nonblocking FFI call, Bun in its waiting worker (ffi/runtime/bun_poller.ts, which declares it again).
 */
export const KERNEL32_COMPLETIONS = {
  GetQueuedCompletionStatusEx: {
    c: "BOOL GetQueuedCompletionStatusEx(HANDLE CompletionPort, LPOVERLAPPED_ENTRY lpCompletionPortEntries, ULONG ulCount, PULONG ulNumEntriesRemoved, DWORD dwMilliseconds, BOOL fAlertable)",
    parameters: ["handle", "buffer", "u32", "buffer", "u32", "i32"],
    result: "i32",
  },
} as const satisfies SymbolTable;

/**
 * WSARecvMsg, reached through `WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_WSARECVMSG)`:
 * it is not exported by ws2_32.dll.
 */
/**
 * kernel32 calls for the thunks (ffi/runtime/win_completion.ts, every runtime): executable memory for two
 * thunks, an I/O completion port that thread-pool callbacks post to (a JS callback called from a pool thread
 * dies with its isolate; node:ffi's cannot run on other threads at all), memory that is never freed, and,
 * for Node only (ffi/runtime/node_windows.ts), a call made through a one-shot InitOnceExecuteOnce (node:ffi
 * cannot call a function by its address).
 */
export const KERNEL32_NODE = {
  VirtualAlloc: {
    c: "LPVOID VirtualAlloc(LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType, DWORD flProtect)",
    parameters: ["handle", "handle", "u32", "u32"],
    result: "handle",
  },
  VirtualProtect: {
    c: "BOOL VirtualProtect(LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect, PDWORD lpflOldProtect)",
    parameters: ["handle", "handle", "u32", "buffer"],
    result: "i32",
  },
  FlushInstructionCache: {
    c: "BOOL FlushInstructionCache(HANDLE hProcess, LPCVOID lpBaseAddress, SIZE_T dwSize)",
    parameters: ["handle", "handle", "handle"],
    result: "i32",
  },
  VirtualQuery: {
    c: "SIZE_T VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer, SIZE_T dwLength)",
    parameters: ["handle", "buffer", "handle"],
    result: "handle",
  },
  InitOnceExecuteOnce: {
    c: "BOOL InitOnceExecuteOnce(PINIT_ONCE InitOnce, PINIT_ONCE_FN InitFn, PVOID Parameter, LPVOID *Context)",
    parameters: ["handle", "handle", "handle", "handle"],
    result: "i32",
  },
  SetLastError: { c: "void SetLastError(DWORD dwErrCode)", parameters: ["u32"], result: "void" },
  CreateIoCompletionPort: {
    c: "HANDLE CreateIoCompletionPort(HANDLE FileHandle, HANDLE ExistingCompletionPort, ULONG_PTR CompletionKey, DWORD NumberOfConcurrentThreads)",
    parameters: ["handle", "handle", "handle", "u32"],
    result: "handle",
  },
  PostQueuedCompletionStatus: {
    c: "BOOL PostQueuedCompletionStatus(HANDLE CompletionPort, DWORD dwNumberOfBytesTransferred, ULONG_PTR dwCompletionKey, LPOVERLAPPED lpOverlapped)",
    parameters: ["handle", "u32", "handle", "handle"],
    result: "i32",
  },
  GetModuleHandleW: { c: "HMODULE GetModuleHandleW(LPCWSTR lpModuleName)", parameters: ["buffer"], result: "handle" },
  GetProcAddress: {
    c: "FARPROC GetProcAddress(HMODULE hModule, LPCSTR lpProcName)",
    parameters: ["handle", "buffer"],
    result: "handle",
  },
} as const satisfies SymbolTable;

export const WSARECVMSG = {
  c: "INT WSARecvMsg(SOCKET s, LPWSAMSG lpMsg, LPDWORD lpdwNumberOfBytesRecvd, LPWSAOVERLAPPED lpOverlapped, LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)",
  parameters: ["handle", "buffer", "buffer", "buffer", "buffer"],
  result: "i32",
} as const satisfies SymbolDef;

// Thread-pool wait flags (winnt.h) and INFINITE.
/** The wait callback runs once; the wait must still be unregistered afterwards. */
export const WT_EXECUTEONLYONCE = 0x8;
/** No time-out. */
export const INFINITE = 0xffffffff;
