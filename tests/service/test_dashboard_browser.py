"""The dashboard in a real headless Chromium (Playwright for Python driving Debian's /usr/bin/chromium).

Starts `mathdisco serve`, submits jobs through the form, watches the table
update without a reload, and checks that the job page typesets the formula
with KaTeX and draws the chart.  Screenshots go to $MATHDISCO_ARTIFACTS (or
the test's tmp dir).  Skipped cleanly when Playwright or Chromium is absent;
CI installs both (`apt-get install -y chromium`, `pip install playwright`;
never `playwright install`, which downloads a browser).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("MATHDISCO_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run"]
E_MOBIUS = "2.1639534137386528487700040102180231170937"  # (e+1)/(e-1)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"{CHROMIUM} missing (apt-get install -y chromium)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    target = Path(os.environ.get("MATHDISCO_ARTIFACTS", tmp_path / "artifacts"))
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # the service must work offline: any request that leaves loopback is a bug (a CDN link)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    page.js_errors, page.outside_requests = errors, outside
    yield page
    context.close()


def _submit(page, base: str, job_type: str, fields: dict[str, str]) -> None:
    page.goto(base + "/")
    page.select_option("#type-select", job_type)
    # htmx swaps in the form for the chosen type
    page.wait_for_selector(f"button.primary:has-text('Submit {job_type}')")
    for name, value in fields.items():
        field = page.locator(f"#f-{name}")
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.click("button.primary")
    page.wait_for_selector(".notice")


def test_submit_watch_and_read_results(server_factory, page, artifacts: Path) -> None:
    server = server_factory().start()
    base = server.url

    # 1. validation errors are shown next to the field, the input is kept
    page.goto(base + "/")
    page.fill("#f-value", "1.5")
    page.fill("#f-max_coeff", "0")
    page.click("button.primary")
    assert page.locator("#err-value").is_visible()
    assert page.locator("#err-max_coeff").inner_text()
    assert page.input_value("#f-value") == "1.5"
    page.screenshot(path=str(artifacts / "form-errors.png"), full_page=True)

    # 2. submit identify through the form; the row turns succeeded without a reload
    _submit(page, base, "identify", {"value": E_MOBIUS})
    page.evaluate("window.__marker = 'same page'")
    row = page.locator("table.jobs tbody tr").first
    assert row.get_attribute("data-status") in {"queued", "running", "succeeded"}
    page.wait_for_selector("table.jobs tbody tr[data-status='succeeded']", timeout=60_000)
    assert page.evaluate("window.__marker") == "same page"  # htmx swapped the table; no navigation
    page.screenshot(path=str(artifacts / "jobs.png"), full_page=True)

    # 3. the job page: KaTeX-rendered formula, evidence, download link
    page.click("table.jobs tbody tr[data-status='succeeded'] a")
    page.wait_for_selector(".formula .katex")
    assert page.locator(".formula .katex").count() >= 1
    assert page.locator(".katex-error").count() == 0
    assert "found at digits" in page.locator("table.evidence:not(.provenance-table)").inner_text()
    assert "digits verified" in page.locator(".formula .pill").first.inner_text()
    assert page.locator(".formula-label").first.inner_text().startswith("Closed form")
    href = page.locator("a:has-text('download JSON')").get_attribute("href")
    assert href.endswith("/result")
    page.screenshot(path=str(artifacts / "job-identify.png"), full_page=True)

    # 4. a Cayley growth job: the chart is drawn on a canvas
    _submit(page, base, "cayley_growth", {"family": "lrx", "n": "6"})
    page.wait_for_selector("table.jobs tbody tr[data-status='succeeded']:has-text('cayley_growth')",
                           timeout=60_000)
    page.click("table.jobs tbody tr:has-text('cayley_growth') a")
    page.wait_for_selector("#chart-growth canvas[data-drawn='1']")
    size = page.evaluate("(() => { const c = document.querySelector('#chart-growth canvas');"
                         " return [c.width, c.height]; })()")
    assert size[0] > 100 and size[1] > 100
    page.screenshot(path=str(artifacts / "job-cayley.png"), full_page=True)

    # 5. the discoveries page lists the identified formula, linked to its job
    page.goto(base + "/discoveries")
    page.wait_for_selector("table.discoveries .katex")
    text = page.locator("table.discoveries").inner_text()
    assert "e" in text and page.locator("table.discoveries a[href^='/jobs/']").count() >= 1
    page.screenshot(path=str(artifacts / "discoveries.png"), full_page=True)

    assert page.js_errors == []
    assert page.outside_requests == []


def test_live_job_page_and_cancel(server_factory, page, artifacts: Path) -> None:
    """A job page polls while the job runs, the cancel button stops it, and polling stops."""
    server = server_factory().start()
    with server.client() as client:
        job = client.post("/v1/jobs", json={"type": "sleep", "params": {"seconds": 60}}).json()
    page.goto(f"{server.url}/jobs/{job['id']}")
    assert page.locator("#job-body").get_attribute("hx-trigger")
    page.click("button.cancel")
    page.wait_for_selector("#job-status:has-text('cancelled')", timeout=30_000)
    page.wait_for_selector("#job-body:not([hx-trigger])")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/fragments/" in r.url else None)
    page.wait_for_timeout(2500)
    assert requests == []  # a finished job is not polled
    page.screenshot(path=str(artifacts / "job-cancelled.png"), full_page=True)
    assert page.js_errors == []
