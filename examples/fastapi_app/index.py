"""A FastAPI app as an FC 3.0 HTTP trigger handler through ``fc.http.asgi``.

The lifespan (startup once per instance, shutdown before the instance stops) is driven by FC's
Initializer and PreStop hooks declared in s.yaml: ``index.initializer`` / ``index.pre_stop``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from pydantic import BaseModel

import fcsdk as fc


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    # Open clients here (DB pools, httpx.AsyncClient): they live as long as the instance.
    yield {"greeting": "hello"}


api = FastAPI(lifespan=lifespan)


class Echo(BaseModel):
    message: str


@api.get("/hello/{name}")
def hello(name: str, request: Request) -> dict[str, str]:
    context: fc.Context = request.scope["fc.context"]
    return {"text": f"{request.state.greeting}, {name}", "request_id": context.request_id}


@api.post("/echo")
def echo(body: Echo) -> Echo:
    return body


handler = fc.http.asgi(api)
initializer = handler.initializer
pre_stop = handler.pre_stop
