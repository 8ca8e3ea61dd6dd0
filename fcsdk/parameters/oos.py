"""``OOSParameters``: common and encrypted parameters from OOS Parameter Store
(``GetParameter``/``GetSecretParameter``, ``GetParametersByPath``/``GetSecretParametersByPath``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from ._acs import ACSProvider
from ._base import DEFAULT_MAX_AGE
from ._errors import ParameterFetchError

if TYPE_CHECKING:
    from ..credentials import Credentials

__all__ = ["OOSParameters"]

#: Pages of GetParametersByPath read at most by one get_many (100 names a page).
MAX_PAGES = 50


class OOSParameters(ACSProvider):
    """Parameters from OOS Parameter Store, cached per process (``pip install "fcsdk[parameters]"``).

    Parameters:
        secret: read encrypted parameters (``GetSecretParameter`` with ``WithDecryption``)
            instead of common ones; the role then also needs ``kms:Decrypt``.
        endpoint: default ``oos.<region>.aliyuncs.com`` (``oos-vpc.`` with ``vpc=True``).
        region: default: the invocation's region.
        protocol: ``"https"`` (default) or ``"http"``.
        vpc: use the region's VPC endpoint.
        ca: path to a CA bundle to trust.
        timeout: seconds per connect and per read (default 3).
        max_attempts: requests per fetch, retries included (default 3).
        max_age: seconds a value is cached (default 300).
        credentials: sign with these instead of the invocation's.

    ``get_many("/my-app/")`` reads every parameter under a path (``GetParametersByPath``, all
    pages) as ``{name without the path: value}``.

    Example:
        >>> from fcsdk.parameters import OOSParameters
        >>> OOSParameters(secret=True, vpc=True)
        OOSParameters(endpoint='oos-vpc.<region>.aliyuncs.com', protocol='https', secret=True, max_age=300.0, cached=0)
    """

    provider = "oos"
    label = "OOS parameter"
    product = "oos"
    package = "alibabacloud-oos20190601"
    not_found_codes = ("EntityNotExists.Parameter",)

    def __init__(
        self,
        *,
        secret: bool = False,
        endpoint: Optional[str] = None,
        region: Optional[str] = None,
        protocol: str = "https",
        vpc: bool = False,
        ca: Optional[str] = None,
        timeout: float = 3.0,
        max_attempts: int = 3,
        max_age: float = DEFAULT_MAX_AGE,
        credentials: Optional[Credentials] = None,
    ) -> None:
        super().__init__(
            endpoint=endpoint,
            region=region,
            protocol=protocol,
            vpc=vpc,
            ca=ca,
            timeout=timeout,
            max_attempts=max_attempts,
            max_age=max_age,
            credentials=credentials,
        )
        self.secret = bool(secret)
        if self.secret:
            self.label = "OOS secret parameter"

    def _describe(self) -> str:
        return super()._describe() + ("secret=True, " if self.secret else "")

    def _import(self) -> tuple[Any, Any]:
        client = self._import_sdk("alibabacloud_oos20190601.client")
        return client.Client, self._import_sdk("alibabacloud_oos20190601.models")

    def _fetch(self, name: str, credentials: Optional[Credentials]) -> str:
        def op(client: Any, models: Any) -> Any:
            if self.secret:
                request = models.GetSecretParameterRequest(name=name, with_decryption=True)
                return client.get_secret_parameter(request)
            return client.get_parameter(models.GetParameterRequest(name=name))

        response = self._call(name, credentials, op)
        value = getattr(getattr(getattr(response, "body", None), "parameter", None), "value", None)
        if not isinstance(value, str):
            raise self._invalid(name, "without Parameter.Value")
        return value

    def _fetch_many(
        self, prefix: str, recursive: bool, credentials: Optional[Credentials]
    ) -> dict[str, str]:
        out: dict[str, str] = {}
        token: Optional[str] = None
        for _ in range(MAX_PAGES):

            def op(client: Any, models: Any, token: Optional[str] = token) -> Any:
                if self.secret:
                    request = models.GetSecretParametersByPathRequest(
                        path=prefix,
                        recursive=recursive,
                        max_results=100,
                        next_token=token,
                        with_decryption=True,
                    )
                    return client.get_secret_parameters_by_path(request)
                request = models.GetParametersByPathRequest(
                    path=prefix, recursive=recursive, max_results=100, next_token=token
                )
                return client.get_parameters_by_path(request)

            body = getattr(self._call(prefix, credentials, op), "body", None)
            for p in getattr(body, "parameters", None) or []:
                if not isinstance(p.name, str) or not isinstance(p.value, str):
                    raise self._invalid(prefix, "with a parameter missing Name or Value")
                key = p.name[len(prefix) :] if p.name.startswith(prefix) else p.name
                out[key] = p.value
            token = getattr(body, "next_token", None)
            if not token:
                return out
        raise self._invalid(prefix, f"with more than {MAX_PAGES} pages")

    def _invalid(self, name: str, what: str) -> ParameterFetchError:
        return ParameterFetchError(
            f"OOS answered for {name!r} {what}",
            name=name,
            provider=self.provider,
            service_code="InvalidResponse",
        )
