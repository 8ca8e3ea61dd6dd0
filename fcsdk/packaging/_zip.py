"""A deterministic zip, written atomically: sorted entries, fixed timestamps and permissions."""

from __future__ import annotations

import os
import stat
import tempfile
import zipfile
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from .errors import OutputPathError, PackagingError

__all__ = ["Entry", "check_writable", "write_zip"]

#: Every entry gets this timestamp (the earliest a zip can hold), so equal input gives equal bytes.
EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Entry:
    """One file of the package: from disk (``source`` a Path) or from a wheel (``member``)."""

    arcname: str
    source: Path
    member: Optional[str] = None  # set: ``source`` is a wheel and this its member
    owner: str = ""  # the distribution (canonical name) or "" for the function's own code
    data: Optional[bytes] = None  # set: the content itself (``source`` is informative only)


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _refuse_special(output: Path) -> None:
    """Raise unless ``output`` is missing or a regular file (never replace a device or a pipe)."""
    try:
        mode = os.lstat(output).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputPathError(f"cannot write {str(output)!r}: {exc.strerror or exc}") from exc
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    hint = "give a file name like code.zip" if stat.S_ISDIR(mode) else "choose another -o path"
    raise OutputPathError(
        f"output {str(output)!r} is {kind}, not a regular file: fcsdk only replaces a regular "
        f"file; {hint}"
    )


def _resolved(output: Path) -> Path:
    try:
        return Path(output).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise OutputPathError(f"cannot resolve output {str(output)!r}: {exc}") from exc


def _existing_ancestor(folder: Path) -> Path:
    while not os.path.lexists(folder) and folder.parent != folder:
        folder = folder.parent
    return folder


def check_writable(output: Path) -> Path:
    """Fail early (before any download) when ``output`` cannot be written; create nothing.

    A symlink at ``output`` is resolved and its target checked and, later, replaced (the link
    stays). Only a missing path or a regular file is acceptable: a directory, device, FIFO or
    socket is refused, never replaced. Missing parent folders are created by :func:`write_zip`.

    Returns:
        ``output`` resolved (symlinks followed).

    Raises:
        OutputPathError: not a regular file, under a non-folder, or a folder that cannot be
            written to.
    """
    output = _resolved(output)
    _refuse_special(output)
    ancestor = _existing_ancestor(output.parent)
    if not ancestor.is_dir():
        raise OutputPathError(f"cannot write {str(output)!r}: {str(ancestor)!r} is not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".fcsdk-probe-", dir=ancestor)
    except OSError as exc:
        raise OutputPathError(f"cannot write {str(output)!r}: {exc.strerror or exc}") from exc
    os.close(fd)
    os.unlink(probe)
    return output


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; the ones created, deepest first."""
    missing = []
    while not os.path.lexists(folder) and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    for made in reversed(missing):
        try:
            made.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            _remove_folders([m for m in missing if m.is_dir()])
            raise OutputPathError(
                f"cannot create folder {str(made)!r}: {exc.strerror or exc}"
            ) from exc
    return missing


def _remove_folders(folders: list[Path]) -> None:
    for folder in folders:  # deepest first; only if still empty
        with suppress(OSError):
            folder.rmdir()


def _mode(executable: bool) -> int:
    return (stat.S_IFREG | (0o755 if executable else 0o644)) << 16


_CHUNK = 1 << 20


def _stream(
    out: zipfile.ZipFile,
    zinfo: zipfile.ZipInfo,
    read: Callable[[int], bytes],
    size: int,
    level: int,
) -> None:
    """Copy what ``read`` returns into the zip in 1 MiB chunks (a large file is never held
    whole); an ``OSError`` from ``read`` is the caller's, one from writing the zip propagates."""
    zinfo.file_size = size  # lets zipfile choose ZIP64 up front for files over 2 GiB
    for name in ("compress_level", "_compresslevel"):  # 3.13+ / 3.9-3.12
        with suppress(AttributeError):
            setattr(zinfo, name, level)
    with out.open(zinfo, "w", force_zip64=size > zipfile.ZIP64_LIMIT) as dest:
        while True:
            chunk = read(_CHUNK)
            if not chunk:
                break
            dest.write(chunk)


def _copy_file(out: zipfile.ZipFile, zinfo: zipfile.ZipInfo, path: Path, level: int) -> None:
    def fail(exc: OSError) -> PackagingError:
        return PackagingError(f"cannot read {str(path)!r}: {exc.strerror or exc}")

    try:
        src = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise fail(exc) from exc

    def read(n: int) -> bytes:
        try:
            return src.read(n)
        except OSError as exc:
            raise fail(exc) from exc

    with src:
        st = os.fstat(src.fileno())
        zinfo.external_attr = _mode(bool(st.st_mode & 0o111))
        _stream(out, zinfo, read, st.st_size, level)


def write_zip(output: Path, entries: list[Entry], *, level: int = 6) -> dict[str, tuple[int, int]]:
    """Write ``entries`` (sorted by arcname) to ``output`` via a temporary file and a rename.

    Returns ``(compressed, uncompressed)`` sizes of every arcname. Nothing is left at ``output`` (or beside it)
    when writing fails, not even the parent folders this call created. ``output`` is resolved and
    checked as by :func:`check_writable`.
    """
    output = check_writable(output)
    created = _make_parents(output.parent)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    except OSError as exc:
        _remove_folders(created)
        raise OutputPathError(f"cannot write {str(output)!r}: {exc.strerror or exc}") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    sizes: dict[str, tuple[int, int]] = {}
    try:
        with ExitStack() as stack, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
            wheels: dict[Path, zipfile.ZipFile] = {}
            for entry in sorted(entries, key=lambda e: e.arcname):
                zinfo = zipfile.ZipInfo(entry.arcname, date_time=EPOCH)
                zinfo.create_system = 3  # Unix, so that the permission bits below count
                zinfo.compress_type = zipfile.ZIP_DEFLATED
                if entry.data is not None:
                    zinfo.external_attr = _mode(False)
                    out.writestr(zinfo, entry.data, compresslevel=level)
                elif entry.member is None:
                    _copy_file(out, zinfo, entry.source, level)
                else:
                    wheel = wheels.get(entry.source)
                    if wheel is None:
                        wheel = stack.enter_context(zipfile.ZipFile(entry.source))
                        wheels[entry.source] = wheel
                    info = wheel.getinfo(entry.member)
                    zinfo.external_attr = _mode(bool((info.external_attr >> 16) & 0o111))
                    with wheel.open(info) as src:
                        _stream(out, zinfo, src.read, info.file_size, level)
                sizes[entry.arcname] = (zinfo.compress_size, zinfo.file_size)
        os.chmod(tmp, 0o644)
        _refuse_special(output)  # again: something may have appeared there while we wrote
        os.replace(tmp, output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        _remove_folders(created)
        raise OutputPathError(f"cannot write {str(output)!r}: {exc.strerror or exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        _remove_folders(created)
        raise
    return sizes
