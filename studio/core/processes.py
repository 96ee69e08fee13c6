"""Whether a process still exists, and which process it is, on POSIX and on Windows.

A pid alone does not name a process for long: once it ends, the system may give its pid to
another. A pid with the process's start time (from the operating system) does, so a worker is
recorded as a `WorkerIdentity` and judged alive only when its pid runs and started then.
Start times come from /proc on Linux, the Win32 API on Windows, psutil elsewhere when it is
installed; without any of these only the pid is checked.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

# Two reads of one process's start time can differ a little (Linux derives it from a boot time
# in whole seconds that clock adjustments move); a reused pid starts seconds later, at least.
START_TIME_TOLERANCE_S = 2.0


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine."""
    if pid <= 0:
        return False
    if os.name == "nt":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by someone else
    return True


def process_start_time(pid: int) -> float | None:
    """When the process `pid` started (seconds since the epoch), or None when it does not
    exist or this system cannot tell."""
    if pid <= 0:
        return None
    try:
        if Path("/proc/self/stat").is_file():
            return _linux_start_time(pid)
        if os.name == "nt":
            return _windows_start_time(pid)
        return _psutil_start_time(pid)
    except (OSError, ValueError, IndexError):
        return None


def _linux_start_time(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    # Fields after the command name (which may hold spaces and parentheses); the start
    # time, in clock ticks after boot, is field 22 of the line, the 20th after the name.
    ticks = int(stat.rsplit(")", 1)[1].split()[19])
    boot = next(
        int(line.split()[1])
        for line in Path("/proc/stat").read_text(encoding="ascii").splitlines()
        if line.startswith("btime ")
    )
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def _windows_start_time(pid: int) -> float | None:
    import ctypes

    query_limited_information = 0x1000
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(query_limited_information, False, pid)
    if not handle:
        return None
    try:
        times = [ctypes.c_ulonglong() for _ in range(4)]  # creation, exit, kernel, user
        if not kernel32.GetProcessTimes(handle, *(ctypes.byref(t) for t in times)):
            return None
        # FILETIME: 100 ns intervals since 1601-01-01.
        return (times[0].value - 116_444_736_000_000_000) / 10_000_000
    finally:
        kernel32.CloseHandle(handle)


def _psutil_start_time(pid: int) -> float | None:
    try:
        import psutil
    except ImportError:
        return None
    try:
        return float(psutil.Process(pid).create_time())
    except psutil.Error:
        return None


@dataclass(frozen=True)
class WorkerIdentity:
    """One process on one machine: its pid, host name and start time (None when unknown)."""

    pid: int
    host: str
    started_at: float | None

    @classmethod
    def current(cls) -> WorkerIdentity:
        """This process."""
        pid = os.getpid()
        return cls(pid, socket.gethostname(), process_start_time(pid))

    def is_running(self) -> bool:
        """Whether this process still runs; only answerable on its own host (see `is_local`).

        A pid that runs but started at another time was reused by another process.
        """
        if not pid_alive(self.pid):
            return False
        if self.started_at is None:
            return True
        now_started = process_start_time(self.pid)
        return now_started is None or abs(now_started - self.started_at) <= START_TIME_TOLERANCE_S

    def is_local(self) -> bool:
        return self.host == socket.gethostname()


def _windows_pid_alive(pid: int) -> bool:
    import ctypes

    query_limited_information, still_active = 0x1000, 259
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(query_limited_information, False, pid)
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        return code.value == still_active
    finally:
        kernel32.CloseHandle(handle)
