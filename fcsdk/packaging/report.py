"""What ``fcsdk package`` built: sizes, the largest dependencies, FC's size limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .runtimes import Target

__all__ = ["API_UPLOAD_LIMIT", "CODE_LIMIT", "DistSize", "PackageReport", "size_warnings"]

MB = 1024 * 1024
#: FC's limit for a code package uploaded through the SDK/OpenAPI: 100 MB after base64.
API_UPLOAD_LIMIT = 100 * MB
#: FC's limit for a zip uploaded by the console, Serverless Devs or from OSS.
CODE_LIMIT = 500 * MB
#: Warn from this share of a limit on.
NEAR = 0.9


def _mb(size: int) -> str:
    if size < MB:
        return f"{size / 1024:.1f} KB"
    return f"{size / MB:.1f} MB"


def size_warnings(zip_size: int, *, layer: bool = False) -> list[str]:
    """Warnings for a zip of ``zip_size`` bytes against FC's code package limits.

    Example:
        >>> from fcsdk.packaging import size_warnings
        >>> size_warnings(1000)
        []
        >>> size_warnings(80 * 1024 * 1024)[0].split(":")[0]
        'the zip is 80.0 MB, 106.7 MB as base64'
    """
    what = "layer" if layer else "code package"
    base64_size = 4 * ((zip_size + 2) // 3)
    out = []
    if zip_size > CODE_LIMIT:
        out.append(
            f"the zip is {_mb(zip_size)}: over FC's {_mb(CODE_LIMIT)} {what} limit; "
            "leave out what the runtime has (--exclude-preinstalled), move shared dependencies "
            "to a layer, or use a container image"
        )
    elif zip_size > NEAR * CODE_LIMIT:
        out.append(f"the zip is {_mb(zip_size)}: near FC's {_mb(CODE_LIMIT)} {what} limit")
    elif base64_size > NEAR * API_UPLOAD_LIMIT:
        state = "over" if base64_size > API_UPLOAD_LIMIT else "near"
        out.append(
            f"the zip is {_mb(zip_size)}, {_mb(base64_size)} as base64: {state} FC's "
            f"{_mb(API_UPLOAD_LIMIT)} limit for uploads through the SDK/OpenAPI; deploy with "
            f"Serverless Devs, the console or from OSS ({_mb(CODE_LIMIT)} limit)"
        )
    return out


@dataclass(frozen=True)
class DistSize:
    """One shipped distribution: compressed and unzipped bytes, file count."""

    name: str
    version: str
    compressed: int
    unzipped: int
    files: int


@dataclass(frozen=True)
class PackageReport:
    """The result of :func:`~fcsdk.packaging.build_package`.

    Example:
        >>> import pathlib, tempfile
        >>> from fcsdk.packaging import build_package
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "index.py").write_text("def handler(event, context):\\n    return event\\n")
        >>> r = build_package(d, output=d / "code.zip", no_deps=True)
        >>> r.files, r.code_files, r.distributions
        (1, 1, [])
    """

    output: Path
    target: Target
    layer: bool
    zip_size: int
    unzipped_size: int
    files: int
    code_size: int
    code_files: int
    distributions: list[DistSize] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def largest(self, n: int = 5) -> list[DistSize]:
        """The ``n`` distributions that take the most room in the zip."""
        return self.distributions[:n]

    def summary(self) -> str:
        """A few lines for the terminal: what was written, how big, what is biggest."""
        kind = "layer" if self.layer else "code package"
        lines = [
            f"wrote {self.output} ({kind} for {self.target.describe()})",
            f"  {_mb(self.zip_size)} zipped, {_mb(self.unzipped_size)} unzipped, "
            f"{self.files} files",
        ]
        if not self.layer:
            lines.append(f"  your code: {self.code_files} files, {_mb(self.code_size)}")
        if self.distributions:
            lines.append(f"  {len(self.distributions)} distributions; largest:")
            for d in self.largest():
                lines.append(
                    f"    {d.name} {d.version}: {_mb(d.compressed)} ({_mb(d.unzipped)} unzipped)"
                )
        if self.excluded:
            lines.append(
                f"  left out (on the runtime already, or not for it): {', '.join(self.excluded)}"
            )
        return "\n".join(lines)
