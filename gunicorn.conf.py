"""gunicorn settings: `gunicorn -c gunicorn.conf.py 'backend:create_app()'`."""

import gc
import os

bind = os.environ.get("FIELDSYNC_BIND", "0.0.0.0:5000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
timeout = 60


def post_worker_init(worker):  # noqa: ARG001 - gunicorn's hook signature
    # The loaded app is long-lived: keep the collector from rescanning it, which
    # otherwise shows up as 100 ms spikes in the office's board query (bench/office_queries).
    gc.freeze()
