"""The dashboard as a reader sees it, in headless Chromium at 1400 and 1000 px wide.

Layout is checked from the rendered page -- element boxes and a screenshot's
pixels -- not from the HTML source: the Cancel button is on screen and not
under the submit panel, timestamps stay on one line, the discoveries table's
"Found by" column fits, and the Rerun / Retry buttons do what they say.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.service.conftest import wait_for
from tests.service.test_dashboard_browser import ARGS, CHROMIUM, artifacts, browser  # noqa: F401

pytestmark = pytest.mark.browser

CANCEL_RED = (0x99, 0x1B, 0x1B)  # button.cancel text colour (dashboard.css)


def _has_colour(png: bytes, colour: tuple[int, int, int], tolerance: int = 40) -> bool:
    from PIL import Image

    pixels = Image.open(io.BytesIO(png)).convert("RGB").tobytes()
    return any(all(abs(pixels[k + i] - colour[i]) <= tolerance for i in range(3))
               for k in range(0, len(pixels), 3))


def _box(page, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not rendered"
    return box


@pytest.mark.parametrize("width", [1400, 1000])
def test_jobs_page_layout(server_factory, browser, artifacts: Path, width: int) -> None:  # noqa: F811
    server = server_factory().start()
    with server.client() as client:
        job = client.post("/v1/jobs", json={"type": "sleep", "params": {"seconds": 60, "steps": 60}}).json()
        wait_for(client, job["id"], {"running"})
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(server.url + "/")
    page.wait_for_selector("button.cancel")
    button = _box(page, "button.cancel")
    assert button["x"] + button["width"] <= width, "the Cancel button runs off the page"
    form = _box(page, "aside.form-section")
    overlaps = (button["x"] < form["x"] + form["width"] and form["x"] < button["x"] + button["width"]
                and button["y"] < form["y"] + form["height"] and form["y"] < button["y"] + button["height"])
    assert not overlaps, "the Cancel button is under the submit panel"
    # the screenshot of the button's own box shows the button (its red text), not the panel
    clip = {k: button[k] for k in ("x", "y", "width", "height")}
    assert _has_colour(page.screenshot(clip=clip), CANCEL_RED)
    created = page.locator("table.jobs tbody td.nowrap time").first
    height = created.evaluate("el => el.getBoundingClientRect().height")
    line = created.evaluate("el => parseFloat(getComputedStyle(el).lineHeight) || 20")
    assert height < 1.5 * line, "a timestamp wraps"
    page.screenshot(path=str(artifacts / f"jobs-{width}.png"), full_page=True)
    with server.client() as client:
        client.post(f"/v1/jobs/{job['id']}/cancel")
    context.close()


def test_rerun_retry_and_the_discoveries_table(server_factory, browser, artifacts: Path) -> None:  # noqa: F811
    server = server_factory().start()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    with server.client() as client:
        done = client.post("/v1/jobs", json={"type": "sleep", "params": {"seconds": 0.2, "steps": 3}}).json()
        wait_for(client, done["id"])
        failed = client.post("/v1/jobs", json={"type": "faulty", "params": {"where": "run", "shards": 1}}).json()
        wait_for(client, failed["id"])

    # Rerun: the form comes pre-filled with the job's params, editable
    page.goto(f"{server.url}/jobs/{done['id']}")
    page.click("#rerun-job")
    page.wait_for_selector("legend:has-text('Rerun job')")
    assert page.input_value("#f-steps") == "3" and page.input_value("#f-seconds") == "0.2"
    page.fill("#f-steps", "2")
    page.click("button.primary")
    page.wait_for_selector(f"a[href='/jobs/{done['id']}']")  # the new job links back
    new_id = page.url.rsplit("/", 1)[1]
    assert new_id != done["id"]
    with server.client() as client:
        rerun = wait_for(client, new_id)
        assert rerun["rerun_of"] == done["id"] and rerun["params"]["steps"] == 2

    # Retry: one click runs a failed job again
    page.goto(f"{server.url}/jobs/{failed['id']}")
    page.click("#retry-job")
    page.wait_for_url(lambda url: failed["id"] not in url)
    assert page.locator("#job-body").count() == 1 and page.locator(f"a[href='/jobs/{failed['id']}']").count()

    # evidence as words; the log is on the page
    page.goto(f"{server.url}/jobs/{done['id']}")
    assert "attempt 1 on" in page.locator("#job-log").inner_text()
    assert "True" not in page.locator("#job-body").inner_text()
    page.screenshot(path=str(artifacts / "job-sleep.png"), full_page=True)

    # the discoveries table: search in the URL, and the "Found by" column fits
    with server.client() as client:
        ident = client.post("/v1/jobs", json={"type": "identify",
                                              "params": {"value": "2.1639534137386528487700040102180231170937"}}).json()
        wait_for(client, ident["id"], timeout=120)
    page.goto(f"{server.url}/discoveries?q=E&job_type=identify")
    assert page.input_value("input[name=q]") == "E"
    page.wait_for_selector("table.discoveries tbody tr[id^=discovery-]")
    cell = page.locator("table.discoveries td.found-by").first
    fits = cell.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
    assert fits, "the Found by column overflows"
    page.screenshot(path=str(artifacts / "discoveries-search.png"), full_page=True)
    context.close()
