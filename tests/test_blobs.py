"""Signatures and photos as content-addressed blobs: verified, sniffed, and readable only by
the ticket's technicians and the office."""

from __future__ import annotations

import base64
import hashlib

import pytest

from backend.db import db
from backend.sync.models import Blob
from tests.conftest import PNG_1X1

pytestmark = pytest.mark.storage

# The start of a JFIF file: SOI, the APP0 segment, then EOI; the server sniffs the magic.
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")
# A 1x1 lossless WebP.
WEBP = base64.b64decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
SVG = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
       b'<svg xmlns="http://www.w3.org/2000/svg" width="300" height="100" viewBox="0 0 300 100">'
       b'<path d="M10 80 C 40 10, 65 10, 95 80 S 150 150, 180 80" stroke="black" fill="none"/></svg>')

# What signature_pad 5's toSVG({includeBackgroundColor: true, includeDataURL: true}) writes.
SIGNATURE_PAD_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    b'viewBox="0 0 600 200" width="600" height="200"><rect width="100%" height="100%" fill="white"></rect>'
    b'<image x="0" y="0" width="600" height="200" preserveAspectRatio="none" href="data:image/png;base64,'
    + base64.b64encode(PNG_1X1) + b'"></image>'
    b'<path d="M 10.000,80.000 C 40.000,10.000 65.000,10.000 95.000,80.000" fill="black"></path>'
    b'<circle r="1.5" cx="200" cy="90" fill="black"></circle></svg>')


def sha(data):
    return hashlib.sha256(data).hexdigest()


def put(client, headers, data, name=None):
    return client.put(f"/api/sync/blobs/{name or sha(data)}", headers=headers, data=data,
                      content_type="application/octet-stream")


def blob_count():
    return db.session.scalar(db.select(db.func.count()).select_from(Blob))


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == code


@pytest.mark.parametrize("data, content_type", [
    (PNG_1X1, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp"), (SVG, "image/svg+xml"),
    (b"  \n<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
    (SIGNATURE_PAD_SVG, "image/svg+xml"),
], ids=["png", "jpeg", "webp", "svg", "bare svg", "signature_pad svg"])
def test_an_image_is_stored_once_under_its_hash_and_read_back_as_sent(shop, phone, data, content_type):
    shop.technician("tech1")
    device = phone("tech1")

    first = put(device.client, device.headers, data)
    again = put(device.client, device.headers, data)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json() == {"sha256": sha(data), "size": len(data), "content_type": content_type}
    assert again.get_json() == first.get_json()
    assert blob_count() == 1
    read = device.get(f"/api/sync/blobs/{sha(data)}")
    assert read.status_code == 200
    assert read.data == data
    assert read.mimetype == content_type
    assert read.headers["X-Content-Type-Options"] == "nosniff"


def test_the_content_type_comes_from_the_bytes_not_the_client(shop, phone):
    shop.technician("tech1")
    device = phone("tech1")

    response = device.client.put(f"/api/sync/blobs/{sha(PNG_1X1)}", headers=device.headers, data=PNG_1X1,
                                 content_type="text/html")

    assert response.get_json()["content_type"] == "image/png"
    assert device.get(f"/api/sync/blobs/{sha(PNG_1X1)}").mimetype == "image/png"


def test_bytes_that_do_not_match_their_name_are_refused(shop, phone):
    shop.technician("tech1")
    device = phone("tech1")

    assert_error(put(device.client, device.headers, PNG_1X1, name=sha(JPEG)), 400, "hash_mismatch")
    assert_error(put(device.client, device.headers, PNG_1X1, name=sha(PNG_1X1).upper()), 400, "invalid_hash")
    assert_error(put(device.client, device.headers, PNG_1X1, name="signature.png"), 400, "invalid_hash")
    assert blob_count() == 0


@pytest.mark.parametrize("data", [
    b"just some text, not a picture",
    b"",
    b"<html><body>hi</body></html>",
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><SCRIPT>alert(1)</SCRIPT></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><path d="M0 0"/></svg>',
    b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
    b'<a xlink:href="javascript:alert(1)"><path d="M0 0"/></a></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><iframe xmlns="http://www.w3.org/1999/xhtml" '
    b'src="https://example.com/"/></foreignObject></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><set attributeName="onmouseover" to="alert(1)"/></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><image href="https://example.com/track.png"/></svg>',
    b"<svg/onload=alert(1)>",
    b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">]><svg xmlns="http://www.w3.org/2000/svg">'
    b"<title>&a;&a;&a;</title></svg>",
], ids=["text", "empty", "html", "svg with script", "svg with SCRIPT", "svg with onload", "gif",
        "svg javascript link", "svg foreignObject", "svg set handler", "svg external image", "svg not xml",
        "svg entities"])
def test_what_is_not_a_safe_image_is_refused_as_415(shop, phone, data):
    shop.technician("tech1")
    device = phone("tech1")

    assert_error(put(device.client, device.headers, data), 415, "unsupported_media_type")
    assert blob_count() == 0


def test_a_blob_over_the_size_limit_is_413(shop, phone, app):
    shop.technician("tech1")
    device = phone("tech1")
    data = PNG_1X1 + b"\0" * app.config["BLOB_MAX_BYTES"]

    assert_error(put(device.client, device.headers, data), 413, "payload_too_large")
    assert blob_count() == 0


def test_a_blob_no_one_uploaded_is_404(shop, phone):
    shop.technician("tech1")
    device = phone("tech1")

    assert_error(device.get(f"/api/sync/blobs/{sha(b'nothing')}"), 404, "not_found")
    assert_error(device.get("/api/sync/blobs/not-a-hash"), 404, "not_found")


def test_uploading_and_reading_blobs_needs_a_token(client):
    assert_error(put(client, {}, PNG_1X1), 401, "unauthorized")
    assert_error(client.get(f"/api/sync/blobs/{sha(PNG_1X1)}"), 401, "unauthorized")


def signed_and_photographed(shop, phone):
    """tech1 signs and photographs on a ticket that is then given to tech2; tech3 is a stranger."""
    first, second = shop.technician("tech1"), shop.technician("tech2")
    shop.technician("tech3")
    ticket = shop.ticket(first)
    device = phone("tech1")
    signature, photo = device.put_blob(SVG), device.put_blob(JPEG)
    results = device.push(
        device.mutation("signature.capture", ticket.id, blob=signature, signer_name="刘女士",
                        summary_hash="0" * 64),
        device.mutation("photo.attach", ticket.id, blob=photo, caption="铭牌"),
    )["results"]
    assert [r["status"] for r in results] == ["applied", "applied"]
    shop.assign(ticket, second)
    return signature, photo


@pytest.mark.parametrize("kind", ["signature", "photo"])
def test_the_tickets_technicians_and_the_office_read_its_blobs_and_others_do_not(shop, phone, office, kind):
    signature, photo = signed_and_photographed(shop, phone)
    name = signature if kind == "signature" else photo
    data = SVG if kind == "signature" else JPEG

    uploader, assignee, stranger = phone("tech1"), phone("tech2"), phone("tech3")
    for reader in (uploader, assignee, office("dispatcher"), office("finance")):
        response = reader.get(f"/api/sync/blobs/{name}")
        assert (response.status_code, response.data) == (200, data)
    assert_error(stranger.get(f"/api/sync/blobs/{name}"), 403, "forbidden")


def test_a_blob_on_no_ticket_is_readable_only_by_its_uploader_and_the_office(shop, phone, office):
    shop.technician("tech1")
    shop.technician("tech2")
    name = phone("tech1").put_blob(PNG_1X1)

    assert phone("tech1").get(f"/api/sync/blobs/{name}").status_code == 200
    assert office("warehouse").get(f"/api/sync/blobs/{name}").status_code == 200
    assert_error(phone("tech2").get(f"/api/sync/blobs/{name}"), 403, "forbidden")


def test_a_stranger_reuploading_the_same_bytes_does_not_gain_access_to_the_ticket(shop, phone):
    signature, _ = signed_and_photographed(shop, phone)
    stranger = phone("tech3")

    again = put(stranger.client, stranger.headers, SVG)

    assert again.status_code == 200
    assert_error(stranger.get(f"/api/sync/blobs/{signature}"), 403, "forbidden")
