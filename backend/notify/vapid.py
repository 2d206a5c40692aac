"""The server's VAPID key pair (RFC 8292), kept in a JSON file in instance/, never in git.

File: {"private_key": <URL-safe base64 of the 32-byte P-256 scalar>,
       "public_key": <URL-safe base64 of the 65-byte uncompressed point>,
       "subject": "mailto:..."}; written 0600.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

DEFAULT_SUBJECT = "mailto:it@fieldsync.invalid"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class VapidKeys:
    private_key: str
    public_key: str
    subject: str

    def private_key_object(self) -> ec.EllipticCurvePrivateKey:
        return ec.derive_private_key(int.from_bytes(b64url_decode(self.private_key), "big"), ec.SECP256R1())


class VapidKeysMissing(RuntimeError):
    pass


def generate(subject: str = DEFAULT_SUBJECT) -> VapidKeys:
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)
    return VapidKeys(private_key=b64url(private), public_key=b64url(public), subject=subject)


def save(keys: VapidKeys, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created 0600 from the start: the private key is never readable by others, not even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"private_key": keys.private_key, "public_key": keys.public_key,
                   "subject": keys.subject}, handle, indent=2)
        handle.write("\n")


def load(path: str | Path) -> VapidKeys:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise VapidKeysMissing(f"No VAPID keys at {path}: run `flask --app backend push-keys`") from None
    return VapidKeys(private_key=data["private_key"], public_key=data["public_key"],
                     subject=data.get("subject") or DEFAULT_SUBJECT)
