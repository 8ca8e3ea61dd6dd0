"""``KMSSecrets``: secrets from KMS Secrets Manager (``GetSecretValue``), shared or dedicated
gateway, signed with the invocation's credentials."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from ..errors import ConfigurationError
from ._acs import ACSProvider
from ._base import DEFAULT_MAX_AGE
from ._errors import ParameterFetchError

if TYPE_CHECKING:
    from ..credentials import Credentials

__all__ = ["KMSSecrets"]


class KMSSecrets(ACSProvider):
    """Secret values from KMS, cached per process (``pip install "fcsdk[parameters]"``).

    Parameters:
        endpoint: ``host[:port]`` (or a URL); default ``kms.<region>.aliyuncs.com``, or
            ``kms-vpc.<region>.aliyuncs.com`` with ``vpc=True``.
        region: default: the invocation's region (``FC_REGION`` outside FC).
        protocol: ``"https"`` (default) or ``"http"`` (a local test server).
        vpc: use the region's VPC endpoint (the function must be attached to a VPC).
        instance_id: a dedicated KMS instance (``kst-...``): its endpoint
            ``<instance_id>.cryptoservice.kms.aliyuncs.com`` (reached from the instance's VPC).
        ca: path to a CA bundle to trust (a KMS instance's CA certificate file).
        version_stage: ``ACSCurrent`` (the service's default) or ``ACSPrevious``.
        timeout: seconds to connect and, separately, to read one answer (default 3).
        max_attempts: requests per fetch, counting retries of throttling, 5xx, timeouts (default 3).
        max_age: seconds a value is cached (default 300).
        credentials: sign with these instead of the invocation's.

    Secrets stored as binary (``SecretDataType`` ``binary``) come back base64-encoded, as KMS
    sends them: ``get(name, transform="binary")`` decodes them.

    Example:
        >>> from fcsdk.parameters import KMSSecrets
        >>> KMSSecrets(region="cn-hangzhou")
        KMSSecrets(endpoint='kms.<region>.aliyuncs.com', protocol='https', max_age=300.0, cached=0)
        >>> KMSSecrets(instance_id="kst-hzz65f176a0ogplgq2fjk", ca="ca.pem").endpoint
        'kst-hzz65f176a0ogplgq2fjk.cryptoservice.kms.aliyuncs.com'
    """

    provider = "kms"
    label = "KMS secret"
    product = "kms"
    package = "alibabacloud-kms20160120"
    not_found_codes = ("Forbidden.ResourceNotFound",)

    def __init__(
        self,
        *,
        endpoint: Optional[str] = None,
        region: Optional[str] = None,
        protocol: str = "https",
        vpc: bool = False,
        instance_id: Optional[str] = None,
        ca: Optional[str] = None,
        version_stage: Optional[str] = None,
        timeout: float = 3.0,
        max_attempts: int = 3,
        max_age: float = DEFAULT_MAX_AGE,
        credentials: Optional[Credentials] = None,
    ) -> None:
        if instance_id is not None and not isinstance(instance_id, str):
            raise ConfigurationError(
                f"instance_id= must be a str such as 'kst-...', got {type(instance_id).__name__}"
            )
        if instance_id:
            if endpoint:
                raise ConfigurationError("pass either endpoint= or instance_id=, not both")
            endpoint = f"{instance_id}.cryptoservice.kms.aliyuncs.com"
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
        self.version_stage = version_stage

    def _import(self) -> tuple[Any, Any]:
        client = self._import_sdk("alibabacloud_kms20160120.client")
        return client.Client, self._import_sdk("alibabacloud_kms20160120.models")

    def _fetch(self, name: str, credentials: Optional[Credentials]) -> str:
        def op(client: Any, models: Any) -> Any:
            request = models.GetSecretValueRequest(
                secret_name=name, version_stage=self.version_stage
            )
            return client.get_secret_value(request)

        response = self._call(name, credentials, op)
        data = getattr(getattr(response, "body", None), "secret_data", None)
        if not isinstance(data, str):
            raise ParameterFetchError(
                f"KMS answered for secret {name!r} without SecretData: is it a secret KMS can "
                "return (not a key)?",
                name=name,
                provider=self.provider,
                service_code="InvalidResponse",
            )
        return data
