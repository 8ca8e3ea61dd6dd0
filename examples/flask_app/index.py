"""A Flask app as an FC 3.0 HTTP trigger handler through ``fc.http.wsgi``.

``environ["fc.context"]`` is the :class:`fcsdk.Context` of the invocation, as on FC 2.0.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request

import fcsdk as fc

web = Flask(__name__)


@web.get("/hello/<name>")
def hello(name: str) -> Response:
    context: fc.Context = request.environ["fc.context"]
    return jsonify(text=f"hello, {name}", request_id=context.request_id)


@web.post("/echo")
def echo() -> Any:
    return jsonify(request.get_json()), 201


handler = fc.http.wsgi(web)
