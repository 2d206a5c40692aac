"""A technician's phone in the browser tests: one Playwright context, one page, and the
steps of a visit written the way a technician does them (taps and typing, no shortcuts)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.live import LiveServer

# Screenshots of every screen, for a human to look at (gitignored).
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


def camera_png(width: int = 320, height: int = 240) -> bytes:
    """A real PNG (a colour gradient), standing in for a photo from the camera."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 140)) for x in range(width))
        for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


class Phone:
    def __init__(self, context: BrowserContext, server: LiveServer, screenshots: Path) -> None:
        self.context = context
        self.server = server
        self.page: Page = context.new_page()
        self.screenshots = screenshots
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", self._print_console_problem)

    @staticmethod
    def _print_console_problem(message: Any) -> None:
        # Shown with a failing test's output: what the page logged before it went wrong.
        if message.type in ("error", "warning"):
            print(f"console {message.type}: {message.text}")

    # --- browser state ---------------------------------------------------------------
    def offline(self, value: bool = True) -> None:
        self.context.set_offline(value)

    def shot(self, name: str, full_page: bool = True) -> Path:
        self.screenshots.mkdir(parents=True, exist_ok=True)
        path = self.screenshots / f"{name}.png"
        self.page.evaluate("window.scrollTo(0, 0)")  # fixed header and tabs land where they belong
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def wait_for_service_worker(self) -> None:
        """Until the worker controls the page: the shell is precached and opens offline."""
        self.page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)

    def evaluate(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)

    # --- screens ---------------------------------------------------------------------
    def open(self, path: str = "/app/") -> None:
        self.page.goto(path)

    def login(self, username: str = "tech1", password: str = "demo", screenshot: str | None = None) -> None:
        self.open("/app/")
        if screenshot:
            self.page.get_by_role("button", name="Sign in").wait_for()
            self.check_screen(screenshot)
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page.get_by_role("heading", name="Today's jobs")).to_be_visible()
        expect(self.page.locator(".job-card").first).to_be_visible()
        self.wait_for_service_worker()

    def ticket_id_of(self, customer: str) -> int:
        """The id of the job card of this customer on the list."""
        card = self.page.locator(".job-card", has=self.page.get_by_role("link", name=customer))
        return int(card.first.get_attribute("data-ticket"))

    def open_job(self, customer: str) -> None:
        self.page.get_by_role("link", name=customer).first.click()
        expect(self.page.get_by_role("heading", level=1, name=customer)).to_be_visible()

    def tab(self, name: str) -> None:
        self.page.get_by_role("navigation", name="Job steps").get_by_role("link", name=name).click()

    def sync_screen(self) -> None:
        self.page.locator(".sync-badge").click()
        expect(self.page.get_by_role("heading", level=1, name="Sync status")).to_be_visible()

    def sign(self, canvas_selector: str) -> None:
        """Draws a signature with the mouse: a few strokes across the pad."""
        canvas = self.page.locator(canvas_selector)
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        assert box is not None
        mouse = self.page.mouse
        for row in (0.3, 0.55):
            mouse.move(box["x"] + box["width"] * 0.15, box["y"] + box["height"] * row)
            mouse.down()
            for step in range(1, 12):
                x = box["x"] + box["width"] * (0.15 + 0.06 * step)
                y = box["y"] + box["height"] * (row + (0.12 if step % 2 else -0.08))
                mouse.move(x, y, steps=3)
            mouse.up()

    def unlabelled_controls(self) -> list[str]:
        """Controls on screen without a name a screen reader can read out."""
        return self.page.evaluate("""() => [...document.querySelectorAll(
            'input, select, textarea, button, a[href], canvas')]
          .filter((el) => el.getClientRects().length > 0 || el.type === 'file')
          .filter((el) => {
            if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return false;
            if (['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName)) return !(el.labels && el.labels.length);
            return el.textContent.trim() === '';
          })
          .map((el) => el.outerHTML.slice(0, 120))""")

    def check_screen(self, name: str) -> None:
        """A screenshot for a human to look at, and the checks a machine can make: every
        control labelled, nothing wider than the 360 px phone."""
        self.shot(name)
        assert self.unlabelled_controls() == [], name
        overflow = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}: {overflow} px wider than the screen"

    def inked_pixels(self, canvas_selector: str) -> int:
        """How many pixels of the signature canvas hold ink."""
        return self.page.locator(canvas_selector).evaluate("""(canvas) => {
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let inked = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked += 1;
            return inked;
        }""")

    def pending_count(self) -> int:
        return int(self.page.locator(".sync-badge").get_attribute("data-pending") or "0")

    def wait_until_synced(self, timeout: float = 20_000) -> None:
        self.page.wait_for_function(
            "() => { const b = document.querySelector('.sync-badge'); return b"
            " && b.dataset.pending === '0' && b.dataset.blobs === '0' && b.dataset.syncing === '0'; }",
            timeout=timeout)

    def queue_as_another_app_version(self, name: str, ticket_id: int, args: dict[str, Any]) -> None:
        """Puts a mutation in the outbox the way db.appendMutation does, without the screens:
        what an older or buggy app version might have left there."""
        self.page.evaluate("""({ name, ticketId, args }) => new Promise((resolve, reject) => {
            const open = indexedDB.open('fieldsync');
            open.onsuccess = () => {
              const db = open.result;
              const tx = db.transaction(['outbox', 'meta'], 'readwrite');
              const next = tx.objectStore('meta').get('next_seq');
              next.onsuccess = () => {
                const seq = next.result ?? 1;
                tx.objectStore('outbox').add({ id: crypto.randomUUID(), seq, name, ticket_id: ticketId,
                  at: new Date().toISOString(), args, status: 'pending' });
                tx.objectStore('meta').put(seq + 1, 'next_seq');
              };
              tx.oncomplete = () => { db.close(); resolve(); };
              tx.onerror = () => reject(tx.error);
            };
            open.onerror = () => reject(open.error);
        })""", {"name": name, "ticketId": ticket_id, "args": args})

    def outbox(self) -> list[dict[str, Any]]:
        """The outbox as stored in IndexedDB (read-only look, for assertions)."""
        return self.page.evaluate("""() => new Promise((resolve, reject) => {
            const open = indexedDB.open('fieldsync');
            open.onsuccess = () => {
              const db = open.result;
              const request = db.transaction('outbox').objectStore('outbox').getAll();
              request.onsuccess = () => { db.close(); resolve(request.result.map(
                (e) => ({seq: e.seq, id: e.id, name: e.name, status: e.status, args: e.args}))); };
              request.onerror = () => reject(request.error);
            };
            open.onerror = () => reject(open.error);
        })""")
