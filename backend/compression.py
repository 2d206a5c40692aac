"""Gzip for JSON answers: a day's snapshot is ~1 MB of text, phones are on bad networks."""

from __future__ import annotations

import gzip

from flask import Flask, Response, request

MIN_BYTES = 1024


def _compress(response: Response) -> Response:
    if (response.direct_passthrough or response.status_code < 200 or response.status_code >= 300
            or response.mimetype != "application/json"
            or "Content-Encoding" in response.headers
            or "gzip" not in request.headers.get("Accept-Encoding", "").lower()):
        return response
    body = response.get_data()
    if len(body) < MIN_BYTES:
        return response
    response.set_data(gzip.compress(body, compresslevel=5))
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Content-Length"] = str(len(response.get_data()))
    response.vary.add("Accept-Encoding")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_compress)
