"""An FC handler served on FC 3.0's custom runtime by ``python3 -m fcsdk serve index.handler``.

The same file runs on the built-in python runtimes (handler ``index.handler``); on the custom
runtime any Python version works, and fcsdk speaks FC's HTTP protocol for it.

Try it locally:
    fcsdk invoke index.handler --event-file event.json
    fcsdk serve index.handler --port 9000 &
    curl -s localhost:9000/invoke -H 'x-fc-request-id: local-1' --data-binary @event.json
"""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel

import fcsdk as fc

fc.logging.setup()  # FC's line format; JSON with FCSDK_LOG_FORMAT=json

GREETINGS: dict[str, str] = {}


class Greeting(BaseModel):
    name: str
    language: Optional[str] = None


class Reply(BaseModel):
    message: str
    request_id: str


@fc.initializer
def init(context: fc.Context) -> None:
    """Runs once per instance before the first invocation (POST /initialize)."""
    GREETINGS.update({"en": "Hello", "fr": "Bonjour", "zh": "你好"})
    fc.logger.info("initialized %d greetings", len(GREETINGS))


@fc.pre_stop
def stop(context: fc.Context) -> None:
    """Runs before the instance is destroyed (GET /pre-stop, or SIGTERM)."""
    fc.logger.info("instance stopping")


@fc.handler
def handler(event: Greeting, context: fc.Context) -> Reply:
    word = GREETINGS.get(event.language or "en", "Hello")
    fc.logger.info("greeting %s", event.name)
    return Reply(message=f"{word}, {event.name}!", request_id=context.request_id)
