"""Content-addressed blobs (signatures, photos): the name is the SHA-256 of the bytes."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from xml.etree import ElementTree

from flask_babel import gettext as _

from backend.audit import Actor
from backend.db import db
from backend.errors import DomainError, Forbidden, NotFound
from backend.people.models import OFFICE_ROLES
from backend.sync.models import Blob
from backend.tickets.models import Assignment, Photo, Signature, Ticket

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def sniff_type(data: bytes) -> str | None:
    """The type from the bytes themselves; the client's Content-Type is not trusted."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    head = data[:512].lstrip().lower()
    if (head.startswith(b"<svg") or head.startswith(b"<?xml")) and b"<svg" in data[:4096].lower():
        return "image/svg+xml" if _is_plain_svg(data) else None
    return None


# What signature_pad's toSVG() writes, and a little more. Anything else (script,
# foreignObject, <a>, <set>/<animate>, use with external refs) could run code or fetch.
SVG_ELEMENTS = {"svg", "g", "path", "circle", "ellipse", "line", "polyline", "polygon", "rect", "image",
                "title", "desc"}
SAFE_IMAGE_HREF = re.compile(r"^data:image/(png|jpeg|webp);base64,[A-Za-z0-9+/=\s]*$")


def _is_plain_svg(data: bytes) -> bool:
    """An allowlist, because a blocklist of <script> let javascript: links and handlers through."""
    if b"<!doctype" in data.lower() or b"<!entity" in data.lower():
        return False  # no DTD, so no entity expansion either
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return False
    for element in root.iter():
        if not isinstance(element.tag, str) or _local(element.tag) not in SVG_ELEMENTS:
            return False
        for name, value in element.attrib.items():
            name = _local(name).lower()
            if name.startswith("on") or "javascript:" in re.sub(r"\s", "", value).lower():
                return False
            if name == "href" and not (_local(element.tag) == "image" and SAFE_IMAGE_HREF.match(value)):
                return False
    return _local(root.tag) == "svg"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def store_blob(actor: Actor, sha256: str, data: bytes, max_bytes: int, now: datetime) -> tuple[Blob, bool]:
    if not SHA256_RE.match(sha256):
        raise DomainError("invalid_hash", _("The name must be a lowercase SHA-256 hex digest"), 400)
    if len(data) > max_bytes:
        raise DomainError("payload_too_large", _("The blob is larger than %(n)s bytes", n=max_bytes), 413)
    if hashlib.sha256(data).hexdigest() != sha256:
        raise DomainError("hash_mismatch", _("The bytes do not match their SHA-256 name"), 400)
    content_type = sniff_type(data)
    if content_type is None:
        raise DomainError("unsupported_media_type", _("Only PNG, JPEG, WebP or SVG images"), 415)
    existing = db.session.get(Blob, sha256)
    if existing is not None:
        return existing, False
    blob = Blob(sha256=sha256, content_type=content_type, size=len(data), data=data,
                uploaded_by_id=actor.user_id, created_at=now)
    db.session.add(blob)
    db.session.flush()
    return blob, True


def readable_blob(actor: Actor, sha256: str) -> Blob:
    blob = db.session.get(Blob, sha256) if SHA256_RE.match(sha256) else None
    if blob is None:
        raise NotFound(_("Blob"))
    if actor.role in OFFICE_ROLES or blob.uploaded_by_id == actor.user_id:
        return blob
    # A technician reads the blobs of tickets that are or were theirs.
    ticket_ids = db.select(Signature.ticket_id).where(Signature.blob_sha256 == sha256).union(
        db.select(Photo.ticket_id).where(Photo.blob_sha256 == sha256))
    mine = db.session.execute(
        db.select(Ticket.id).where(Ticket.id.in_(ticket_ids), (Ticket.technician_id == actor.user_id) |
                                   Ticket.id.in_(db.select(Assignment.ticket_id).where(
                                       Assignment.technician_id == actor.user_id))).limit(1)
    ).first()
    if mine is None:
        raise Forbidden()
    return blob
