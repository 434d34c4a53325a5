"""The one way the package writes a file (models, pictures, pages): whole or not at all, never through a link.

The data goes to a temporary file beside the target, is synced, and is renamed over the target, so a
reader sees the old file or the new one. Renaming replaces a symlink at the target rather than writing
through it, so a link planted in an output folder cannot redirect a write into another file. Anything
else that is not a regular file (a directory, a FIFO, a device, a socket) is refused. The target's
permission bits are kept. Temporary files left by a killed write are removed by the next write to the
same path.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import stat
from pathlib import Path

_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def write_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` whole or not at all (see the module's description); the path written."""
    path = Path(path)
    mode = _existing_mode(path)
    prefix = _temp_prefix(path)
    _remove_abandoned(path.parent, prefix)
    tmp = path.with_name(f"{prefix}{os.getpid()}-{secrets.token_hex(4)}.tmp")  # short: any name fits
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else mode)
        with open(fd, "wb") as f:
            if mode is not None:
                os.fchmod(f.fileno(), mode)  # the target's bits, whatever the umask
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename, so a crash cannot leave an empty file
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        if e.errno is None:
            raise
        raise type(e)(e.errno, e.strerror, str(path)) from e  # the user's path, not the temporary one
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _existing_mode(path: Path) -> int | None:
    """The permission bits of the regular file at path (None if there is none, or a symlink is there)."""
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
    """The start of a temporary file's name for this target: a hash of its name, so that it stays short."""
    return f".autograd-lite-{hashlib.sha256(path.name.encode(errors='surrogateescape')).hexdigest()[:16]}-"


def _remove_abandoned(folder: Path, prefix: str) -> None:
    """Remove temporary files of earlier writes to the same target whose process is gone."""
    try:
        names = [n for n in os.listdir(folder if str(folder) else ".") if n.startswith(prefix)]
    except OSError:
        return  # the write itself reports what is wrong with the folder
    for name in names:
        pid = name[len(prefix) :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                (folder / name).unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True
