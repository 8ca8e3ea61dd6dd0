"""Event factories: the exact bytes each FC trigger sends, for tests and ``fcsdk events``.

Every factory takes keyword arguments with realistic defaults (the documented samples) and
returns ``bytes``: JSON for most triggers, CBOR for Tablestore, raw text for an MNS topic in
STREAM format without attributes. :func:`sample` looks a factory up by trigger name.

Example:
    >>> from fcsdk.testing import events
    >>> import json
    >>> json.loads(events.oss(bucket="b", key="k"))["events"][0]["oss"]["object"]["key"]
    'k'
    >>> events.names()[:3]
    ['apigateway', 'cdn', 'cloudevents']
"""

from __future__ import annotations

import base64
import datetime as _dt
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from ._factory_base import _ACCOUNT, Body, _dumps, _iso, _text
from ._factory_batch import (
    BROKEN_RECORD,
    NOT_JSON,
    batch,
    cloudevents_batch,
    dts_batch,
    kafka_batch,
    mns_queue_batch,
    mqtt_batch,
    rabbitmq_batch,
    rocketmq_batch,
    rocketmq_selfhosted_batch,
)
from ._factory_mq import (
    cloudevents,
    dts,
    kafka,
    mns_queue,
    mns_topic,
    mqtt,
    rabbitmq,
    rocketmq,
    rocketmq_selfhosted,
)

__all__ = [
    "BROKEN_RECORD",
    "NOT_JSON",
    "apigateway",
    "batch",
    "cdn",
    "cloudevents",
    "cloudevents_batch",
    "dts",
    "dts_batch",
    "http",
    "kafka",
    "kafka_batch",
    "mns_queue",
    "mns_queue_batch",
    "mns_topic",
    "mqtt",
    "mqtt_batch",
    "names",
    "oss",
    "rabbitmq",
    "rabbitmq_batch",
    "rocketmq",
    "rocketmq_batch",
    "rocketmq_selfhosted",
    "rocketmq_selfhosted_batch",
    "sample",
    "sls",
    "tablestore",
    "timer",
]


def timer(
    payload: Any = "awesome-fc",
    *,
    trigger_name: str = "timer-trigger",
    trigger_time: Union[str, _dt.datetime, None] = "2023-12-26T07:49:00Z",
) -> bytes:
    """A timer trigger event; a non-string ``payload`` is stored as JSON text.

    Example:
        >>> from fcsdk.testing import events
        >>> events.timer(payload={"a": 1})
        b'{"triggerTime":"2023-12-26T07:49:00Z","triggerName":"timer-trigger","payload":"{\\\\"a\\\\":1}"}'
    """
    return _dumps(
        {
            "triggerTime": _iso(trigger_time, millis=False),
            "triggerName": trigger_name,
            "payload": _text(payload),
        }
    )


def oss(
    *,
    bucket: str = "testbucket",
    key: str = "source/a.png",
    event_name: str = "ObjectCreated:PutObject",
    size: int = 122539,
    region: str = "cn-hangzhou",
    etag: str = "688A7BF4F233DC9C88A80BF985AB****",
    mime_type: Optional[str] = "image/png",
    keys: Optional[Sequence[str]] = None,
    event_time: Union[str, _dt.datetime, None] = "2022-08-13T06:45:43.000Z",
) -> bytes:
    """An OSS trigger event with one record per key (``keys`` overrides ``key``).

    ``key`` is put in the event exactly as given (see :mod:`fcsdk.events.oss` on encoding).
    ``mime_type=None`` leaves out ``objectMeta`` like older events.

    Example:
        >>> from fcsdk.testing import events
        >>> import json
        >>> len(json.loads(events.oss(keys=["a", "b"]))["events"])
        2
    """
    records = []
    for k in keys if keys is not None else [key]:
        obj: Dict[str, Any] = {"deltaSize": size, "eTag": etag, "key": k, "size": size}
        if mime_type is not None:
            obj["objectMeta"] = {"mimeType": mime_type, "userMeta": {}}
        if event_name.startswith("ObjectRemoved:"):
            obj = {"deltaSize": -size, "eTag": etag, "key": k, "size": 0}
        records.append(
            {
                "eventName": event_name,
                "eventSource": "acs:oss",
                "eventTime": _iso(event_time),
                "eventVersion": "1.0",
                "oss": {
                    "bucket": {
                        "arn": f"acs:oss:{region}:{_ACCOUNT}:{bucket}",
                        "name": bucket,
                        "ownerIdentity": _ACCOUNT,
                    },
                    "object": obj,
                    "ossSchemaVersion": "1.0",
                    "ruleId": "9adac8e253828f4f7c0466d941fa3db81161****",
                },
                "region": region,
                "requestParameters": {"sourceIPAddress": "140.205.XX.XX"},
                "responseElements": {"requestId": "58F9FF2D3DF792092E12044C"},
                "userIdentity": {"principalId": _ACCOUNT},
            }
        )
    return _dumps({"events": records})


def sls(
    *,
    project: str = "fc-test-project",
    logstore: str = "fc-test-logstore",
    shard_id: int = 0,
    endpoint: str = "http://cn-hangzhou-intranet.log.aliyuncs.com",
    parameter: Optional[Mapping[str, Any]] = None,
    cursor_time: int = 1529486425,
) -> bytes:
    """An SLS trigger event.

    Example:
        >>> from fcsdk.testing import events
        >>> b'"shardId":3' in events.sls(shard_id=3)
        True
    """
    return _dumps(
        {
            "parameter": dict(parameter or {}),
            "source": {
                "endpoint": endpoint,
                "projectName": project,
                "logstoreName": logstore,
                "shardId": shard_id,
                "beginCursor": "MTUyOTQ4MDIwOTY1NTk3ODQ2Mw==",
                "endCursor": "MTUyOTQ4MDIwOTY1NTk3ODQ2NA==",
            },
            "jobName": "1f7043ced683de1a4e3d8d70b5a412843d81****",
            "taskId": "c2691505-38da-4d1b-998a-f1d4bb8c****",
            "cursorTime": cursor_time,
        }
    )


_CDN_PARAMETERS: Dict[str, Callable[[str], Dict[str, Any]]] = {
    "LogFileCreated": lambda d: {
        "domain": d,
        "endTime": 1528959900,
        "fileSize": 1788115,
        "filePath": f"http://cdnlog.cn-hangzhou.oss.aliyun-inc.com/{d}/2017_12_27/{d}_2017_12_27_0800_0900.gz",
        "startTime": 1528959600,
    },
    "CachedObjectsRefreshed": lambda d: {
        "objectPath": ["/2018/03/16/13/33b430c57e7.mp4"],
        "createTime": 1521180773,
        "domain": d,
        "completeTime": 1521180777,
        "objectType": "File",
        "taskId": 2089687230,
    },
    "CdnDomainStarted": lambda d: {"domain": d, "status": "online"},
    "CdnDomainStopped": lambda d: {"domain": d, "status": "offline"},
    "CdnDomainAdded": lambda d: {"domain": d},
    "CdnDomainDeleted": lambda d: {"domain": d},
}
_CDN_PARAMETERS["CachedObjectsPushed"] = _CDN_PARAMETERS["CachedObjectsRefreshed"]
_CDN_PARAMETERS["CachedObjectsBlocked"] = _CDN_PARAMETERS["CachedObjectsRefreshed"]


def cdn(*, event_name: str = "LogFileCreated", domain: str = "example.com") -> bytes:
    """A CDN trigger event; unknown ``event_name`` values get ``{"domain": ...}``.

    Example:
        >>> from fcsdk.testing import events
        >>> b'"status":"offline"' in events.cdn(event_name="CdnDomainStopped")
        True
    """
    build = _CDN_PARAMETERS.get(event_name)
    parameter = build(domain) if build is not None else {"domain": domain}
    return _dumps(
        {
            "events": [
                {
                    "eventName": event_name,
                    "eventSource": "cdn",
                    "region": "cn-hangzhou",
                    "eventVersion": "1.0.0",
                    "eventTime": "2018-06-14T15:31:49+08:00",
                    "traceId": "c6459282-6a4d-4413-894c-e4ea3968****",
                    "userIdentity": {"aliUid": _ACCOUNT},
                    "resource": {"domain": domain},
                    "eventParameter": parameter,
                }
            ]
        }
    )


def _default_tablestore_records() -> List[Dict[str, Any]]:
    return [
        {
            "Type": "PutRow",
            "Info": {"Timestamp": 1506416585740836},
            "PrimaryKey": [
                {"ColumnName": "pk_0", "Value": 1506416585881590900},
                {"ColumnName": "pk_1", "Value": "2017-09-26 17:03:05.8815909 +0800 CST"},
                {"ColumnName": "pk_2", "Value": 1506416585741000},
            ],
            "Columns": [
                {
                    "Type": "Put",
                    "ColumnName": "attr_0",
                    "Value": "hello_table_store",
                    "Timestamp": 1506416585741,
                },
                {
                    "Type": "Put",
                    "ColumnName": "attr_1",
                    "Value": 1506416585881590900,
                    "Timestamp": 1506416585741,
                },
            ],
        }
    ]


def tablestore(*, records: Optional[Iterable[Mapping[str, Any]]] = None) -> bytes:
    """A Tablestore trigger event as CBOR bytes (needs cbor2: ``fcsdk[tablestore]``).

    ``records`` are dicts in Tablestore's spelling (``Type``, ``PrimaryKey``, ``Columns``...).

    Example:
        >>> from fcsdk.testing import events
        >>> events.tablestore(records=[])[:1]  # a CBOR map
        b'\\xa2'
    """
    from ..events.tablestore import _cbor2

    body = {
        "Version": "Sync-v1",
        "Records": [dict(r) for r in records]
        if records is not None
        else _default_tablestore_records(),
    }
    return _cbor2().dumps(body)  # type: ignore[no-any-return]


def _http_body(body: Body) -> tuple[str, bool]:
    if body is None:
        return "", False
    if isinstance(body, (bytes, bytearray)):
        return base64.b64encode(bytes(body)).decode("ascii"), True
    return _text(body), False


def _joined(values: Optional[Mapping[str, Any]]) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for k, v in (values or {}).items():
        out[str(k)] = ",".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)
    return out


def http(
    *,
    method: str = "GET",
    path: str = "/example",
    body: Body = None,
    headers: Optional[Mapping[str, Any]] = None,
    query: Optional[Mapping[str, Any]] = None,
    source_ip: str = "11.11.11.11",
) -> bytes:
    """An FC 3.0 HTTP trigger event, built by :func:`fcsdk.http.testing.make_event` (FC's header
    canonicalization, comma-joined repeated values, ``?query`` in ``path``, bytes base64 unless
    textual) with the documented sample's fixed time and ids; a dict/list body is sent as JSON.

    Example:
        >>> from fcsdk.testing import events
        >>> import json
        >>> json.loads(events.http(body=b"\\xff"))["isBase64Encoded"]
        True
    """
    from ..http.testing import make_event

    payload: Any = None
    if body is not None and not isinstance(body, (str, bytes, bytearray)):
        payload, body = body, None
    return make_event(
        method,
        path,
        body=bytes(body) if isinstance(body, bytearray) else body,
        json=payload,
        headers=headers,
        query=query,
        source_ip=source_ip,
        request_id="1-64f6cd87-0000000000000000000",
        domain_prefix="example",
        account_id=_ACCOUNT,
        epoch_ms=1693896071000,
    )


def apigateway(
    *,
    method: str = "GET",
    path: str = "/example",
    body: Body = None,
    headers: Optional[Mapping[str, Any]] = None,
    query: Optional[Mapping[str, Any]] = None,
    path_parameters: Optional[Mapping[str, Any]] = None,
) -> bytes:
    """An API Gateway trigger event (bytes bodies base64 with ``isBase64Encoded``).

    Example:
        >>> from fcsdk.testing import events
        >>> b'"httpMethod":"PUT"' in events.apigateway(method="put")
        True
    """
    text, is_b64 = _http_body(body)
    return _dumps(
        {
            "path": path,
            "httpMethod": method.upper(),
            "headers": _joined(headers),
            "queryParameters": _joined(query),
            "pathParameters": _joined(path_parameters),
            "body": text,
            "isBase64Encoded": is_b64,
        }
    )


_FACTORIES: Dict[str, Callable[..., bytes]] = {
    "apigateway": apigateway,
    "cdn": cdn,
    "cloudevents": cloudevents,
    "dts": dts,
    "http": http,
    "kafka": kafka,
    "mns-queue": mns_queue,
    "mns-topic": mns_topic,
    "mqtt": mqtt,
    "oss": oss,
    "rabbitmq": rabbitmq,
    "rocketmq": rocketmq,
    "rocketmq-selfhosted": rocketmq_selfhosted,
    "sls": sls,
    "tablestore": tablestore,
    "timer": timer,
}


def names() -> List[str]:
    """The trigger names :func:`sample` knows, sorted.

    Example:
        >>> from fcsdk.testing import events
        >>> "oss" in events.names()
        True
    """
    return sorted(_FACTORIES)


def factory(name: str) -> Callable[..., bytes]:
    """The factory for trigger ``name`` (``-`` and ``_`` interchangeable, any case).

    Raises:
        KeyError: unknown name; the message lists the known ones.

    Example:
        >>> from fcsdk.testing import events
        >>> events.factory("MNS_QUEUE") is events.mns_queue
        True
    """
    key = name.strip().lower().replace("_", "-")
    try:
        return _FACTORIES[key]
    except KeyError:
        raise KeyError(f"unknown trigger {name!r}; known: {', '.join(names())}") from None


def sample(name: str, **kwargs: Any) -> bytes:
    """The event bytes of trigger ``name`` built with ``kwargs`` (see each factory).

    Used by ``fcsdk invoke --trigger NAME`` and ``fcsdk events show NAME``.

    Example:
        >>> from fcsdk.testing import events
        >>> events.sample("timer", payload="x") == events.timer(payload="x")
        True
    """
    return factory(name)(**kwargs)
