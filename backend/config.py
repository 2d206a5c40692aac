"""Settings, each read from the environment with a default (one class; tests subclass it)."""

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("FIELDSYNC_INSTANCE", PROJECT_DIR / "instance"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'fieldsync.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    REDIS_URL = os.environ.get("REDIS_URL") or None
    VAPID_KEYS_PATH = os.environ.get("VAPID_KEYS_PATH", str(INSTANCE_DIR / "vapid.json"))
    REPEAT_REPAIR_DAYS = int(os.environ.get("REPEAT_REPAIR_DAYS", "90"))
    # A device clock further off than this raises the clock_skew flag.
    CLOCK_SKEW_FLAG_SECONDS = int(os.environ.get("CLOCK_SKEW_FLAG_SECONDS", "600"))
    # A device token unused (no login, pull or push) for this long stops working.
    TOKEN_IDLE_DAYS = int(os.environ.get("TOKEN_IDLE_DAYS", "90"))
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(4 * 1024 * 1024)))
    BLOB_MAX_BYTES = int(os.environ.get("BLOB_MAX_BYTES", str(2 * 1024 * 1024)))
    PUSH_MAX_MUTATIONS = int(os.environ.get("PUSH_MAX_MUTATIONS", "500"))
    PULL_MAX_LIMIT = 500
    PULL_DEFAULT_LIMIT = 100
    COMPLETED_VISIBLE_DAYS = 14
    TIMEZONE = os.environ.get("FIELDSYNC_TIMEZONE", "Asia/Shanghai")
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    LANGUAGES = ["zh", "en"]
    DEBUG_ERRORS = env_bool("FIELDSYNC_DEBUG_ERRORS")
