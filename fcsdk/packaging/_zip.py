"""A deterministic zip, written atomically: sorted entries, fixed timestamps and permissions."""

from __future__ import annotations

import os
import stat
import tempfile
import zipfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

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


def check_writable(output: Path) -> None:
    """Fail early (before any download) when ``output`` cannot be written.

    Raises:
        OutputPathError: a directory, a folder that cannot be created or written to.
    """
    if output.is_dir():
        raise OutputPathError(
            f"output {str(output)!r} is a directory; give a file name like code.zip"
        )
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".fcsdk-probe-", dir=output.parent)
    except OSError as exc:
        raise OutputPathError(f"cannot write {str(output)!r}: {exc.strerror or exc}") from exc
    os.close(fd)
    os.unlink(probe)


def _mode(executable: bool) -> int:
    return (stat.S_IFREG | (0o755 if executable else 0o644)) << 16


def write_zip(output: Path, entries: list[Entry], *, level: int = 6) -> dict[str, tuple[int, int]]:
    """Write ``entries`` (sorted by arcname) to ``output`` via a temporary file and a rename.

    Returns ``(compressed, uncompressed)`` sizes of every arcname. Nothing is left at ``output`` (or beside it)
    when writing fails.
    """
    check_writable(output)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    sizes: dict[str, tuple[int, int]] = {}
    try:
        with ExitStack() as stack, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
            wheels: dict[Path, zipfile.ZipFile] = {}
            for entry in sorted(entries, key=lambda e: e.arcname):
                if entry.data is not None:
                    data, executable = entry.data, False
                elif entry.member is None:
                    try:
                        data = entry.source.read_bytes()
                        executable = bool(entry.source.stat().st_mode & 0o111)
                    except OSError as exc:
                        raise PackagingError(f"cannot read {str(entry.source)!r}: {exc}") from exc
                else:
                    wheel = wheels.get(entry.source)
                    if wheel is None:
                        wheel = stack.enter_context(zipfile.ZipFile(entry.source))
                        wheels[entry.source] = wheel
                    info = wheel.getinfo(entry.member)
                    data = wheel.read(info)
                    executable = bool((info.external_attr >> 16) & 0o111)
                zinfo = zipfile.ZipInfo(entry.arcname, date_time=EPOCH)
                zinfo.create_system = 3  # Unix, so that the permission bits below count
                zinfo.external_attr = _mode(executable)
                zinfo.compress_type = zipfile.ZIP_DEFLATED
                out.writestr(zinfo, data, compresslevel=level)
                sizes[entry.arcname] = (zinfo.compress_size, zinfo.file_size)
        os.chmod(tmp, 0o644)
        os.replace(tmp, output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputPathError(f"cannot write {str(output)!r}: {exc.strerror or exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return sizes
