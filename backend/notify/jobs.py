"""Jobs that run after the commit they depend on (as Indico sends mail after its commit).

`enqueue(name, *args)` is called by a view right after `db.session.commit()`:

- default: inline, but after the response has gone out (`response.call_on_close`), in a
  fresh app context, so the request never waits on a push service and a failing job
  never fails the request; outside a request (CLI), at once;
- with REDIS_URL: on the RQ queue `JOB_QUEUE` (default "fieldsync"); run a worker with
  `rq worker --url $REDIS_URL fieldsync` from the project directory, so that
  `backend` is importable (the job builds its app with `create_app()`).

Jobs take plain ids and read what they need themselves: by the time they run, the row
may have changed again, and they act on the state as it is then.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, after_this_request, current_app, g, has_app_context, has_request_context
from flask_babel import force_locale

from backend.db import db

log = logging.getLogger(__name__)

# name -> "module:function"; a job is addressed by name, so a queued job survives refactors.
JOBS = {
    "push.dispatch": "backend.notify.tasks:send_dispatch_push",
}
DEFAULT_QUEUE = "fieldsync"


def _resolve(name: str) -> Callable[..., Any]:
    module, _, attr = JOBS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def _call(name: str, args: tuple[Any, ...]) -> Any:
    # Flask-Babel keeps its state on `g` and ignores an empty `g`; a job has no request
    # to pick a language from, so it speaks the default one unless it forces another.
    g.job = name
    try:
        with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
            result = _resolve(name)(*args)
        db.session.commit()
        return result
    except BaseException:
        db.session.rollback()
        raise


def run_job(name: str, *args: Any) -> Any:
    """The RQ entry point. A worker has no app: it builds one from the environment."""
    if has_app_context():
        return _call(name, args)
    from backend import create_app

    with create_app().app_context():
        try:
            return _call(name, args)
        finally:
            db.session.remove()


def _run_inline(app: Flask, name: str, args: tuple[Any, ...]) -> None:
    with app.app_context():
        try:
            _call(name, args)
        except Exception:
            log.exception("job %s%r failed", name, args)
        finally:
            db.session.remove()


def rq_queue(app: Flask):
    from redis import Redis
    from rq import Queue

    return Queue(app.config.get("JOB_QUEUE", DEFAULT_QUEUE),
                 connection=Redis.from_url(app.config["REDIS_URL"]))


def enqueue(name: str, *args: Any) -> None:
    """Run job `name` later; call it only after the commit the job depends on."""
    if name not in JOBS:
        raise KeyError(name)
    app = current_app._get_current_object()
    if app.config.get("REDIS_URL"):
        try:
            rq_queue(app).enqueue(run_job, name, *args, job_timeout=120, result_ttl=3600,
                                  failure_ttl=7 * 86400)
            return
        except Exception:
            # Redis down: the change is committed already; send from here rather than never.
            log.exception("could not queue job %s; running it inline", name)
    if has_request_context():
        @after_this_request
        def _after_response(response):
            response.call_on_close(lambda: _run_inline(app, name, args))
            return response
    else:
        _run_inline(app, name, args)
