"""The office in a browser session: login with a CSRF-protected form, menus by role, every
page renders in Chinese and English, and technicians are kept out."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from backend.db import db
from backend.tickets.models import Ticket

pytestmark = pytest.mark.storage

PAGES = ["/office/board", "/office/intake", "/office/sla", "/office/review", "/office/search"]
DISPATCH_ONLY = ["/office/board", "/office/intake", "/office/sla", "/office/review"]


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login_session(client, username: str, password: str = "demo") -> str:
    """Log in through the form like a browser; returns the session's CSRF token."""
    token = csrf_of(client.get("/office/login").get_data(as_text=True))
    response = client.post("/office/login", data={"username": username, "password": password,
                                                  "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return csrf_of(client.get("/office/search").get_data(as_text=True))


def test_a_page_without_a_session_sends_the_browser_to_the_login_and_back(shop, client):
    shop.user("dispatcher")

    response = client.get("/office/board?region=浦东")

    assert response.status_code == 302
    assert response.location.startswith("/office/login?next=")
    token = csrf_of(client.get(response.location).get_data(as_text=True))
    back = client.post("/office/login", data={"username": "dispatcher", "password": "demo",
                                              "csrf_token": token, "next": "/office/board?region=浦东"})
    assert back.status_code == 302 and unquote(back.location) == "/office/board?region=浦东"


def test_the_login_form_needs_its_csrf_token(shop, client):
    shop.user("dispatcher")
    client.get("/office/login")

    response = client.post("/office/login", data={"username": "dispatcher", "password": "demo"})

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"
    assert client.get("/office/board").status_code == 302  # still logged out


def test_a_wrong_password_shows_the_form_again(shop, client):
    shop.user("dispatcher")
    token = csrf_of(client.get("/office/login").get_data(as_text=True))

    response = client.post("/office/login", data={"username": "dispatcher", "password": "nope",
                                                  "csrf_token": token})

    assert response.status_code == 401
    assert 'role="alert"' in response.get_data(as_text=True)


def test_login_never_redirects_to_another_site(shop, client):
    shop.user("dispatcher")
    token = csrf_of(client.get("/office/login").get_data(as_text=True))

    response = client.post("/office/login", data={"username": "dispatcher", "password": "demo",
                                                  "csrf_token": token, "next": "//evil.example/x"})

    assert response.location == "/office/board"


def test_a_session_write_without_the_token_is_refused_and_with_it_goes_through(shop, client):
    shop.technician("tech1")
    shop.user("dispatcher")
    ticket = shop.ticket()
    token = login_session(client, "dispatcher")

    refused = client.post(f"/api/tickets/{ticket.id}/assign", json={"technician": "tech1"})
    forged = client.post(f"/api/tickets/{ticket.id}/assign", json={"technician": "tech1"},
                         headers={"X-CSRF-Token": "x" * 43})
    accepted = client.post(f"/api/tickets/{ticket.id}/assign", json={"technician": "tech1"},
                           headers={"X-CSRF-Token": token})

    assert refused.status_code == forged.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf_failed"
    assert accepted.status_code == 200
    assert db.session.get(Ticket, ticket.id).technician.username == "tech1"


def test_a_bearer_token_needs_no_csrf_token(shop, office):
    shop.technician("tech1")
    ticket = shop.ticket()

    response = office("dispatcher").post(f"/api/tickets/{ticket.id}/assign", json={"technician": "tech1"})

    assert response.status_code == 200


def test_the_session_cookie_is_http_only_and_same_site_lax(shop, client):
    shop.user("dispatcher")
    token = csrf_of(client.get("/office/login").get_data(as_text=True))

    response = client.post("/office/login", data={"username": "dispatcher", "password": "demo",
                                                  "csrf_token": token})

    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logging_in_starts_a_new_session_with_a_new_token(shop, client):
    shop.user("dispatcher")
    before = csrf_of(client.get("/office/login").get_data(as_text=True))

    after = login_session(client, "dispatcher")

    assert after != before


def test_logout_needs_the_token_and_ends_the_session(shop, client):
    shop.user("dispatcher")
    token = login_session(client, "dispatcher")

    assert client.post("/office/logout").status_code == 400
    assert client.post("/office/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/office/board").status_code == 302


@pytest.mark.parametrize("role, visible, hidden", [
    ("dispatcher", ["Dispatch board", "Intake", "SLA", "Review queue", "Search"], []),
    ("admin", ["Dispatch board", "Intake", "SLA", "Review queue", "Search"], []),
    ("warehouse", ["Search"], ["Dispatch board", "Intake", "Review queue"]),
    ("finance", ["Search"], ["Dispatch board", "Intake", "Review queue"]),
])
def test_each_role_sees_its_own_menu(shop, client, role, visible, hidden):
    shop.user(role, role=role)
    login_session(client, role)

    html = client.get("/office/search?lang=en").get_data(as_text=True)
    menu = re.search(r'<nav class="menu".*?</nav>', html, re.S).group(0)

    for label in visible:
        assert f">{label}</a>" in menu
    for label in hidden:
        assert f">{label}</a>" not in menu


@pytest.mark.parametrize("role", ["warehouse", "finance"])
def test_warehouse_and_finance_cannot_open_the_dispatch_pages(shop, client, role):
    shop.user(role, role=role)
    login_session(client, role)

    for page in DISPATCH_ONLY:
        assert client.get(page).status_code == 403, page
    assert client.get("/office/search").status_code == 200


def test_a_technician_cannot_log_in_to_the_office(shop, client):
    shop.technician("tech1")
    token = csrf_of(client.get("/office/login").get_data(as_text=True))

    response = client.post("/office/login", data={"username": "tech1", "password": "demo",
                                                  "csrf_token": token})

    assert response.status_code == 401
    assert client.get("/office/search").status_code == 302


def test_a_technicians_token_opens_no_office_page_and_no_office_api(shop, phone):
    shop.technician("tech1")
    ticket = shop.ticket()
    device = phone("tech1")

    for page in [*PAGES, f"/office/tickets/{ticket.id}"]:
        assert device.get(page).status_code == 403, page
    for path in ["/api/tickets", "/api/flags", f"/office/api/tickets/{ticket.id}/suggestions",
                 "/office/api/callers?phone=13800000000", "/api/stock?location=warehouse"]:
        response = device.get(path)
        assert response.status_code == 403, path
        assert response.get_json()["error"]["code"] == "forbidden"
    for path, body in [(f"/api/tickets/{ticket.id}/assign", {"technician": "tech1"}),
                       ("/office/api/tickets", {}), ("/office/api/rejections/1/resolve", {"note": "x"})]:
        assert device.client.post(path, headers=device.headers, json=body).status_code == 403, path


def test_a_dispatcher_cannot_close_a_commission_month(app, shop, office):
    rules = {rule.rule: rule.methods for rule in app.url_map.iter_rules()}
    if "/api/commission/statements/close" not in rules:
        pytest.fail("POST /api/commission/statements/close is not served yet (fees/commission issue)")

    response = office("dispatcher").post("/api/commission/statements/close", json={"month": "2026-10"})

    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("lang, words", [
    ("zh", ["调度看板", "受理", "审核队列", "查询"]),
    ("en", ["Dispatch board", "Intake", "Review queue", "Search"]),
])
def test_pages_speak_the_language_chosen_and_remember_it(shop, client, lang, words):
    shop.technician("tech1")
    shop.user("dispatcher")
    ticket = shop.ticket(shop.technician("tech2"))
    login_session(client, "dispatcher")

    switched = client.get(f"/office/lang/{lang}?next=/office/board")
    assert switched.status_code == 302 and switched.location == "/office/board"

    for page in [*PAGES, f"/office/tickets/{ticket.id}", "/office/search?region=浦东"]:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.get_data(as_text=True)
        assert f'<html lang="{"en" if lang == "en" else "zh-CN"}">' in html
        for word in words:
            assert word in html, (page, word)


def test_the_browsers_language_is_the_default(shop, client):
    shop.user("dispatcher")
    login_session(client, "dispatcher")

    english = client.get("/office/search", headers={"Accept-Language": "en-US,en;q=0.9"})
    chinese = client.get("/office/search", headers={"Accept-Language": "zh-CN,zh;q=0.9"})

    assert "Combine any fields" in english.get_data(as_text=True)
    assert "调度看板" in chinese.get_data(as_text=True)


def test_the_office_scripts_and_styles_are_served_with_a_version(shop, client):
    shop.user("dispatcher")
    login_session(client, "dispatcher")
    html = client.get("/office/board").get_data(as_text=True)

    for asset in re.findall(r'(/office/static/[\w.]+\?v=\w+)', html):
        response = client.get(asset)
        assert response.status_code == 200, asset
        response.close()
    assert "/office/static/board.js?v=" in html and "/office/static/office.css?v=" in html
