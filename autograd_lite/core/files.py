"""The one way the package writes a file (models, pictures, pages): whole or not at all, never through a link.

The data goes to a temporary file beside the target, is synced, and is renamed over the target, so a
reader sees the old file or the new one. Renaming replaces a symlink at the target rather than writing
through it, so a link planted in an output folder cannot redirect a write into another file. Anything
else that is not a regular file (a directory, a FIFO, a device, a socket) is refused. The target's
permission bits are kept. Temporary files left by a killed write are removed by the next write to the
same path: at once where they name a process of this host and PID namespace that is gone (a PID means
nothing in another container or on another host sharing the folder), else once an hour old.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import socket
import stat
import time
from pathlib import Path

_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}

#: After how long a temporary file is abandoned whoever wrote it: a write takes seconds.
ABANDONED_AFTER = 3600.0


def _writer() -> str:
    """Return who writes here, in a temporary file's name: a hash of the host and the PID namespace, within
    which alone a PID names a process."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""  # no /proc: one namespace, as far as can be told
    return hashlib.sha256(f"{socket.gethostname()}\0{namespace}".encode()).hexdigest()[:8]


_WRITER = _writer()


def write_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` whole or not at all (see the module's description); the path written."""
    path = Path(path)
    mode = _existing_mode(path)
    prefix = _temp_prefix(path)
    _remove_abandoned(path.parent, prefix)
    tmp = path.with_name(f"{prefix}{_WRITER}-{os.getpid()}-{secrets.token_hex(4)}.tmp")  # short: fits
    try:
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else mode)
        except PermissionError as e:  # the folder refuses a new file: name the folder, not the target
            folder = str(path.parent)
            raise PermissionError(e.errno, f"{e.strerror}: cannot create a file in the folder", folder) from e
        with open(fd, "wb") as f:
            if mode is not None:
                os.fchmod(f.fileno(), mode)  # the target's bits, whatever the umask
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename, so a crash cannot leave an empty file
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        if e.errno is None or e.filename == str(path.parent):
            raise
        raise type(e)(e.errno, e.strerror, str(path)) from e  # the user's path, not the temporary one
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _existing_mode(path: Path) -> int | None:
    """Return the permission bits of the regular file at path (None if there is none, or a symlink is
    there)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return None  # replaced by the new file, never written through
    kind = _KINDS.get(stat.S_IFMT(st.st_mode))
    if kind is not None:
        error = IsADirectoryError if stat.S_ISDIR(st.st_mode) else ValueError
        raise error(f"refusing to write {str(path)!r}: it is {kind}, not a regular file")
    return stat.S_IMODE(st.st_mode)


def _temp_prefix(path: Path) -> str:
    """Return the start of a temporary file's name for this target: a hash of its name, so that it stays
    short."""
    return f".autograd-lite-{hashlib.sha256(path.name.encode(errors='surrogateescape')).hexdigest()[:16]}-"


def _remove_abandoned(folder: Path, prefix: str) -> None:
    """Remove temporary files of earlier writes to the same target that no write will finish: of a gone
    process of this host and PID namespace, or an hour old."""
    try:
        names = [n for n in os.listdir(folder if str(folder) else ".") if n.startswith(prefix)]
    except OSError:
        return  # the write itself reports what is wrong with the folder
    for name in names:
        writer, _, rest = name[len(prefix) :].partition("-")
        pid = rest.split("-", 1)[0]
        with contextlib.suppress(OSError):
            gone = writer == _WRITER and pid.isdigit() and not _alive(int(pid))
            if gone or time.time() - os.lstat(folder / name).st_mtime > ABANDONED_AFTER:
                (folder / name).unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True
