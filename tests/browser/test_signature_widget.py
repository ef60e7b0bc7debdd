"""The signature pad of service reports in Debian's chromium, on a static page (no Flask
app): a mouse and a finger both sign, clear empties the field, a signature already in the
form is drawn back, and resizing keeps the drawing."""

from __future__ import annotations

import base64
import os
import struct
import zlib
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
STATIC = Path(__file__).resolve().parents[2] / "portal" / "static" / "portal"
PNG_PREFIX = "data:image/png;base64,"

PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="{css}">
  <style>body {{ margin: 16px; font-family: sans-serif; }} .filler {{ height: 2000px; }}</style>
</head>
<body>
  <form>
    <input type="hidden" id="signature" name="signature" value="{value}">
    <div class="signature-pad" data-target="signature" data-clear-label="清除"
         data-hint="请在上方签名"></div>
  </form>
  <div class="filler"></div>
  <script src="{js}"></script>
</body>
</html>
"""


@pytest.fixture(autouse=True)
def _clean():
    """Overrides the database-cleaning autouse fixture: this module needs no app."""
    yield


@pytest.fixture(scope="module")
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page_url(tmp_path):
    def make(value: str = "") -> str:
        html = PAGE.format(
            css=(STATIC / "signature.css").as_uri(),
            js=(STATIC / "signature.js").as_uri(),
            value=value,
        )
        path = tmp_path / "signature.html"
        path.write_text(html, encoding="utf-8")
        return path.as_uri()

    return make


def _open(chromium, url, **context_options):
    context = chromium.new_context(**context_options)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_selector(".signature-pad[data-signed] canvas")
    return context, page, errors


def _box(page):
    return page.locator(".signature-pad canvas").bounding_box()


def _signature(page) -> str:
    return page.eval_on_selector("#signature", "el => el.value")


def _signed(page) -> str | None:
    return page.get_attribute(".signature-pad", "data-signed")


def _ink(page) -> int:
    """Number of dark, opaque pixels in the pad's canvas."""
    return page.evaluate(
        """() => {
            const c = document.querySelector('.signature-pad canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 0; i < d.length; i += 4) {
                if (d[i + 3] > 128 && d[i] < 100 && d[i + 1] < 100 && d[i + 2] < 100) n++;
            }
            return n;
        }"""
    )


def _png_ink(page, data_url) -> dict:
    """Size and number of dark pixels of a PNG data URL, decoded by the browser."""
    return page.evaluate(
        """async (url) => {
            const img = new Image();
            img.src = url;
            await img.decode();
            const c = document.createElement('canvas');
            c.width = img.naturalWidth; c.height = img.naturalHeight;
            const ctx = c.getContext('2d');
            ctx.drawImage(img, 0, 0);
            const d = ctx.getImageData(0, 0, c.width, c.height).data;
            let dark = 0, white = 0;
            for (let i = 0; i < d.length; i += 4) {
                if (d[i + 3] > 128 && d[i] < 100) dark++;
                if (d[i + 3] === 255 && d[i] === 255 && d[i + 1] === 255 && d[i + 2] === 255) white++;
            }
            return {width: c.width, height: c.height, dark, white};
        }""",
        data_url,
    )


def _draw_with_mouse(page):
    box = _box(page)
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.15, y + h * 0.6)
    page.mouse.down()
    for i in range(1, 21):
        page.mouse.move(x + w * (0.15 + 0.035 * i), y + h * (0.6 - 0.3 * ((i % 5) / 5)))
    page.mouse.up()


def _png(width: int, height: int, dark_rows: range) -> str:
    """A white RGB PNG with black rows, built with the standard library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = b"".join(
        b"\x00" + (b"\x00\x00\x00" if y in dark_rows else b"\xff\xff\xff") * width
        for y in range(height)
    )
    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows))
           + chunk(b"IEND", b""))
    return PNG_PREFIX + base64.b64encode(png).decode("ascii")


def test_widget_is_built_and_empty_pad_leaves_input_empty(chromium, page_url):
    context, page, errors = _open(chromium, page_url(), device_scale_factor=2)
    pad = page.locator(".signature-pad")
    assert _signed(page) == "false"
    assert _signature(page) == ""
    assert pad.locator("canvas").count() == 1
    assert pad.locator("button.signature-pad__clear").inner_text() == "清除"
    assert pad.locator("button.signature-pad__clear").get_attribute("type") == "button"
    assert pad.locator(".signature-pad__hint").inner_text() == "请在上方签名"
    canvas = page.evaluate(
        """() => {
            const c = document.querySelector('.signature-pad canvas');
            const r = c.getBoundingClientRect();
            return {w: c.width, h: c.height, cssW: r.width, cssH: r.height,
                    innerW: c.clientWidth, innerH: c.clientHeight,
                    padW: document.querySelector('.signature-pad').getBoundingClientRect().width,
                    touchAction: getComputedStyle(c).touchAction};
        }"""
    )
    assert canvas["cssW"] == pytest.approx(canvas["padW"], abs=0.5)  # 100% of the pad
    assert canvas["cssH"] == pytest.approx(200, abs=1)
    assert canvas["w"] == pytest.approx(canvas["innerW"] * 2, abs=2)  # high-DPI backing store
    assert canvas["h"] == pytest.approx(canvas["innerH"] * 2, abs=2)
    assert canvas["touchAction"] == "none"
    # attach() is idempotent: a second call neither duplicates nor replaces the widget.
    assert page.evaluate(
        "() => window.PortalSignature.attach(document.querySelector('.signature-pad')) !== null")
    assert pad.locator("canvas").count() == 1
    assert errors == []
    context.close()


def test_mouse_drawing_fills_the_input(chromium, page_url):
    context, page, errors = _open(chromium, page_url())
    _draw_with_mouse(page)
    value = _signature(page)
    assert value.startswith(PNG_PREFIX)
    assert _signed(page) == "true"
    assert _ink(page) > 50
    png = _png_ink(page, value)
    assert png["dark"] > 50  # black ink ...
    assert png["white"] > png["width"] * png["height"] * 0.8  # ... on opaque white
    assert errors == []
    context.close()


def test_touch_pointer_events_fill_the_input(chromium, page_url):
    context, page, errors = _open(
        chromium, page_url(), viewport={"width": 390, "height": 844},
        device_scale_factor=3, is_mobile=True, has_touch=True)
    canvas = page.locator(".signature-pad canvas")
    box = _box(page)

    def pointer(kind, fx, fy, buttons):
        canvas.dispatch_event(kind, {
            "pointerId": 1, "pointerType": "touch", "isPrimary": True,
            "clientX": box["x"] + box["width"] * fx, "clientY": box["y"] + box["height"] * fy,
            "button": 0 if kind != "pointermove" else -1, "buttons": buttons,
            "bubbles": True, "cancelable": True,
        })

    pointer("pointerdown", 0.1, 0.5, 1)
    for i in range(1, 16):
        pointer("pointermove", 0.1 + 0.05 * i, 0.5 + (0.2 if i % 2 else -0.2), 1)
    assert _signature(page) == ""  # written when the stroke ends
    pointer("pointerup", 0.9, 0.5, 0)

    assert _signature(page).startswith(PNG_PREFIX)
    assert _signed(page) == "true"
    assert _ink(page) > 50
    assert errors == []
    context.close()


def test_real_finger_draws_without_scrolling_the_page(chromium, page_url):
    context, page, errors = _open(
        chromium, page_url(), viewport={"width": 390, "height": 844},
        device_scale_factor=3, is_mobile=True, has_touch=True)
    seen = page.evaluate_handle(
        """() => {
            const seen = [];
            document.querySelector('.signature-pad canvas').addEventListener(
                'pointerdown', e => seen.push(e.pointerType));
            return seen;
        }""")
    box = _box(page)
    cdp = context.new_cdp_session(page)
    x0, y = box["x"] + 30, box["y"] + box["height"] * 0.3

    def touch(kind, x, yy):
        points = [] if kind == "touchEnd" else [{"x": x, "y": yy, "id": 1}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", x0, y)
    for i in range(1, 20):  # a mostly vertical swipe would scroll a normal page
        touch("touchMove", x0 + 12 * i, y + 6 * i)
    touch("touchEnd", 0, 0)
    page.wait_for_function("() => document.querySelector('#signature').value !== ''")

    assert seen.evaluate("s => s") == ["touch"]
    assert _signature(page).startswith(PNG_PREFIX)
    assert _signed(page) == "true"
    assert page.evaluate("() => window.scrollY") == 0
    assert errors == []
    context.close()


def test_clear_empties_canvas_and_input(chromium, page_url):
    context, page, errors = _open(chromium, page_url())
    _draw_with_mouse(page)
    assert _signature(page).startswith(PNG_PREFIX)
    changes = page.evaluate_handle(
        """() => {
            const log = [];
            document.querySelector('#signature').addEventListener('change', e => log.push(e.target.value));
            return log;
        }""")

    page.click(".signature-pad__clear")

    assert _signature(page) == ""
    assert _signed(page) == "false"
    assert _ink(page) == 0
    assert changes.evaluate("log => log") == [""]
    assert errors == []
    context.close()


def test_prefilled_signature_is_drawn_back(chromium, page_url):
    prefilled = _png(600, 200, range(90, 110))
    context, page, errors = _open(chromium, page_url(prefilled))
    page.wait_for_function(
        """() => {
            const c = document.querySelector('.signature-pad canvas');
            const d = c.getContext('2d').getImageData(0, Math.floor(c.height / 2), c.width, 1).data;
            for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 128 && d[i] < 100) return true;
            return false;
        }""")
    assert _ink(page) > 1000
    assert _signed(page) == "true"
    assert _signature(page) == prefilled  # untouched until the customer signs again
    assert errors == []
    context.close()


def test_resize_keeps_the_drawing(chromium, page_url):
    context, page, errors = _open(chromium, page_url(), viewport={"width": 800, "height": 600})
    _draw_with_mouse(page)
    value = _signature(page)
    before = page.evaluate("() => document.querySelector('.signature-pad canvas').width")

    page.set_viewport_size({"width": 400, "height": 700})
    page.wait_for_function(
        "w => document.querySelector('.signature-pad canvas').width !== w", arg=before)
    page.wait_for_timeout(100)

    assert _ink(page) > 20
    assert _signature(page) == value
    assert _signed(page) == "true"
    assert errors == []
    context.close()
