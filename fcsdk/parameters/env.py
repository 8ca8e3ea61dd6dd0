"""``EnvironmentParameters``: the function's environment variables through the same API (for
local runs, tests, and settings kept in ``s.yaml``'s ``environmentVariables``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Optional

from ._errors import ParameterNotFoundError
from ._provider import BaseProvider

if TYPE_CHECKING:
    from ..credentials import Credentials

__all__ = ["EnvironmentParameters"]


class EnvironmentParameters(BaseProvider):
    """Values from environment variables, optionally under a common ``prefix``; no credentials.

    Parameters:
        prefix: prepended to every name (``prefix="APP_"``: ``get("DB")`` reads ``APP_DB``).
        environ: the mapping to read (default ``os.environ``, read at fetch time).
        max_age: as for every provider (default 300 s).

    Example:
        >>> from fcsdk.parameters import EnvironmentParameters
        >>> env = EnvironmentParameters(prefix="APP_", environ={"APP_RATE": "5"})
        >>> env.get("RATE", transform=int)
        5
    """

    provider = "env"
    label = "env parameter"
    needs_credentials = False
    fetch_blocks = False  # a mapping lookup: nothing to wait for, no warning on a loop

    def __init__(
        self,
        *,
        prefix: str = "",
        environ: Optional[Mapping[str, str]] = None,
        max_age: float = 300.0,
        credentials: Optional[Credentials] = None,
    ) -> None:
        super().__init__(max_age=max_age, credentials=credentials)
        from collections.abc import Mapping as _Mapping

        from ..errors import ConfigurationError

        if not isinstance(prefix, str):
            raise ConfigurationError(f"prefix= must be a str, got {type(prefix).__name__}")
        if environ is not None and not isinstance(environ, _Mapping):
            raise ConfigurationError(
                f"environ= must be a mapping of names to values, got {type(environ).__name__}"
            )
        self.prefix = prefix
        self._environ = environ

    def _env(self) -> Mapping[str, str]:
        if self._environ is not None:
            return self._environ
        import os

        return os.environ

    def _describe(self) -> str:
        return f"prefix={self.prefix!r}, " if self.prefix else ""

    def _fetch(self, name: str, credentials: Optional[Credentials]) -> str:
        key = self.prefix + name
        value = self._env().get(key)
        if value is None:
            raise ParameterNotFoundError(
                f"env parameter {name!r} not found: environment variable {key} is not set "
                "(set it in s.yaml's environmentVariables, or export it locally)",
                name=name,
                provider=self.provider,
            )
        return value

    def _fetch_many(
        self, prefix: str, recursive: bool, credentials: Optional[Credentials]
    ) -> dict[str, str]:
        full = self.prefix + prefix
        return {
            k[len(full) :]: v
            for k, v in sorted(self._env().items())
            if k.startswith(full) and k != full
        }
