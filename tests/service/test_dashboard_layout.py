"""The dashboard as a reader sees it, in headless Chromium at 390 (a phone), 1000 and 1400 px.

Layout is checked from the rendered page -- document width, element boxes
and a screenshot's pixels -- not from the HTML source: no page is wider than
the screen (the jobs table scrolls inside its wrapper, timestamps wrap on a
phone), the Filter and Cancel buttons are on screen, a long statement on
/discoveries wraps with b(n) in view, and the Rerun / Retry buttons do what
they say.  Screenshots go to $MATHDISCO_ARTIFACTS (or the test's tmp dir).

The pages are served in process (uvicorn in a thread) from a store seeded
with jobs and discoveries, so every width sees the same long content.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mathdisco.engines.contract import EngineParams, JobType
from mathdisco.engines.discoveries import Discovery, formula_statement
from mathdisco.engines.numerics.formula import QuasiPolynomial, formula_json
from mathdisco.engines.registry import job_types
from mathdisco.engines.results import (
    Axis,
    Chart,
    EvidenceRow,
    ResultModel,
    ResultView,
    Series,
    ShownFormula,
)
from tests.service.conftest import free_port, wait_for
from tests.service.test_dashboard_browser import ARGS, CHROMIUM, artifacts, browser  # noqa: F401

pytestmark = pytest.mark.browser

WIDTHS = (390, 1000, 1400)
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


def _document_width(page) -> int:
    return page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")


def _too_wide(page) -> list[str]:
    """The outermost elements that reach past the right edge of the screen (for the message)."""
    return page.evaluate("""() => {
        const out = [];
        const walk = (el) => {
          for (const child of el.children) {
            const r = child.getBoundingClientRect();
            if (r.right > window.innerWidth + 1) {
              out.push(child.tagName.toLowerCase() + (child.id ? "#" + child.id : "")
                       + (child.className && child.className.baseVal === undefined
                          ? "." + child.className.split(" ").join(".") : "")
                       + " right=" + Math.round(r.right));
            } else if (getComputedStyle(child).overflowX === "visible") {
              walk(child);
            }
          }
        };
        walk(document.body);
        return out.slice(0, 12);
    }""")


# -- a seeded site served in process ------------------------------------------------------------

class ShowcaseParams(EngineParams):
    pass


class ShowcaseResult(ResultModel):
    pass


#: a PCF with negative partial numerators and long polynomials: its statement is wide
PCF_A = QuasiPolynomial.polynomial([3, 15, 27, 12, 4])
PCF_B = QuasiPolynomial.polynomial([0, 0, 0, -16, -25, -9, 2])


def showcase_view(_result: Any) -> ResultView:
    """Every kind of chart the engines declare, at its hardest (see test_dashboard_charts.py)."""
    epochs = list(range(1, 41))
    narrow = [0.45 - 0.003 * k for k in range(40)]  # spans less than a decade
    clusters = [Series(label=f"cluster {k}", x=[k + 0.1 * j for j in range(5)],
                       y=[(k * 7) % 11 + 0.2 * j for j in range(5)], style="points")
                for k in range(1, 23)]
    clusters.append(Series(label="other clusters and noise", x=[0.5, 3.5], y=[1, 2], muted=True))
    names = ["pi", "e", "zeta(3)", "log(2)", "catalan", "sqrt(2)", "euler_gamma", "pi**2", "exp(2)"]
    charts = [
        Chart(id="narrow-log", title="Training curve", kind="line",
              x=Axis(label="epoch", integer=True), y=Axis(label="L1", scale="log", log_toggle=True),
              series=[Series(label="train L1", x=epochs, y=narrow, style="line")]),
        Chart(id="many-clusters", title="Clusters", kind="scatter", x=Axis(label="delta"),
              y=Axis(label="gamma"), series=clusters),
        Chart(id="named-bars", title="Identified PCFs per constant", kind="bar",
              x=Axis(label="constant", categories=names), y=Axis(label="PCFs", integer=True),
              series=[Series(label="identified PCFs", x=list(range(len(names))),
                             y=[9, 7, 5, 4, 3, 3, 2, 1, 1], style="bars")]),
        Chart(id="pareto", title="Pareto front", kind="scatter",
              x=Axis(label="complexity", integer=True, min=0),
              y=Axis(label="NRMSE", scale="log"),
              series=[Series(label="Pareto front", x=[0], y=[0.25], style="points"),
                      Series(label="selected", x=[0], y=[0.25], style="points", emphasis=True)]),
    ]
    formula = formula_json(PCF_A, PCF_B, "4/pi", 60)
    return ResultView(
        formulas=[ShownFormula(label="Formula 1: a long PCF", text=formula["text"],
                               latex=formula["latex"], verified_digits=60)],
        evidence=[EvidenceRow(label="a very long evidence label that should wrap on a phone",
                              value="x" * 120)],
        charts=charts)


class Site:
    """The app served by uvicorn in a thread, with direct access to its store."""

    def __init__(self, tmp: Path) -> None:
        import uvicorn

        from mathdisco.service.app import create_app
        from mathdisco.workers.settings import load_settings

        self.app = create_app(load_settings(), local_workers=False)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        for _ in range(400):
            if self.server.started:
                break
            time.sleep(0.05)
        assert self.server.started, "uvicorn did not start"
        self.store = self.app.state.store

    def finished(self, job_type: str, params: dict, result: dict, discoveries: tuple = ()) -> str:
        job, _ = self.store.create_job(job_type, params)
        self.store.claim(job.id, "test", 600)
        self.store.finish(job.id, "succeeded", result=result, discoveries=discoveries)
        return job.id

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    monkeypatch = pytest.MonkeyPatch()
    for key in ("MATHDISCO_BROKER_URL", "MATHDISCO_DATABASE_URL", "MATHDISCO_API_KEYS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MATHDISCO_DATA_DIR", str(tmp_path_factory.mktemp("site")))
    monkeypatch.setitem(job_types(), "showcase", JobType(
        "showcase", ShowcaseParams, lambda params, progress: {}, "every chart kind",
        result_model=ShowcaseResult, view=showcase_view))
    site = Site(tmp_path_factory.mktemp("site-tmp"))
    store = site.store
    for family, n in (("pancake", 11), ("lrx", 9), ("top_spin", 12)):
        store.create_job("cayley_growth", {"family": family, "n": n})
    store.create_job("esma", {"constant": "besseli(0, 2)/besseli(1, 2) + sqrt(7) - log(3)",
                              "lhs_coefficient_bound": 3, "max_sign_period": 5})
    store.create_job("sr_mcts", {"x": [[0.1 * k] for k in range(50)], "y": [k for k in range(50)],
                                 "variables": ["x"], "seed": 7})
    failed, _ = store.create_job("pcf_cluster", {"a_degree": 2})
    store.claim(failed.id, "test", 600)
    store.finish(failed.id, "failed", error="ValueError: " + "a long error without spaces_" * 12)
    site.showcase = site.finished("showcase", {}, {})
    site.finished("sr_mcts", {"benchmark": "Nguyen-1", "time_limit_s": 15},
                  {"limited": {"reason": "time limit reached while compiling the numba kernels"}})
    formula = formula_json(PCF_A, PCF_B, "4/pi", 60)
    found = (Discovery(target="pi", text=formula["text"], latex=formula["latex"],
                       statement=formula_statement("4/pi", PCF_A, PCF_B),
                       evidence={"verified_digits": 60, "depth": 2000}),)
    site.finished("pcf_cluster", {"a_degree": 4, "b_degree": 6}, {}, discoveries=found)
    running, _ = store.create_job("sleep", {"seconds": 60, "steps": 60})
    store.claim(running.id, "test", 600)
    site.running = running.id
    yield site
    site.stop()
    monkeypatch.undo()


@pytest.fixture
def context(browser):  # noqa: F811
    made = []

    def new(width: int) -> Any:
        made.append(browser.new_context(viewport={"width": width, "height": 900}))
        page = made[-1].new_page()
        page.js_errors = []
        page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
        return page

    yield new
    for c in made:
        c.close()


# -- the three pages at three widths -------------------------------------------------------------

@pytest.mark.parametrize("width", WIDTHS)
def test_jobs_page_fits_the_screen(site: Site, context, artifacts: Path, width: int) -> None:  # noqa: F811
    page = context(width)
    # the running job makes htmx re-fetch the table every second; measure one, unswapped
    page.route("**/fragments/jobs*", lambda route: route.abort())
    page.goto(site.url + "/")
    page.wait_for_selector("button.cancel")
    assert _document_width(page) <= width, _too_wide(page)
    wrapper = page.locator("#jobs-table .table-scroll")
    fits = wrapper.evaluate("el => el.getBoundingClientRect().right <= window.innerWidth")
    assert fits, "the table's wrapper runs off the page"
    if width == 390:  # the table is wider than a phone: it scrolls inside its wrapper
        assert wrapper.evaluate("el => el.scrollWidth > el.clientWidth")
    button = _box(page, "#filters button[type=submit]")
    assert page.locator("#filters button[type=submit]").is_visible()
    assert button["x"] >= 0 and button["x"] + button["width"] <= width, "Filter is cut off"
    # Cancel: on screen (scrolled into view in the wrapper) and not under the submit panel
    cancel = page.locator("button.cancel").first
    cancel.scroll_into_view_if_needed()
    box = cancel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, "the Cancel button runs off the page"
    form = _box(page, "aside.form-section")
    overlaps = (box["x"] < form["x"] + form["width"] and form["x"] < box["x"] + box["width"]
                and box["y"] < form["y"] + form["height"] and form["y"] < box["y"] + box["height"])
    assert not overlaps, "the Cancel button is under the submit panel"
    clip = {k: box[k] for k in ("x", "y", "width", "height")}
    assert _has_colour(page.screenshot(clip=clip), CANCEL_RED)
    created = page.locator("table.jobs tbody td.nowrap time").first
    height = created.evaluate("el => el.getBoundingClientRect().height")
    line = created.evaluate("el => parseFloat(getComputedStyle(el).lineHeight) || 20")
    assert height < 1.5 * line, "a timestamp in the table wraps"
    assert "family=pancake n=11" in page.locator("table.jobs").inner_text()
    assert page.locator("table.jobs .badge.limited").is_visible()
    page.screenshot(path=str(artifacts / f"jobs-{width}.png"), full_page=True)
    assert page.js_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_job_pages_fit_the_screen(site: Site, context, artifacts: Path, width: int) -> None:  # noqa: F811
    page = context(width)
    page.route("**/fragments/jobs/**", lambda route: route.abort())  # the running job's polling
    page.goto(f"{site.url}/jobs/{site.showcase}")
    page.wait_for_selector(".formula .katex")
    page.wait_for_selector("#chart-pareto canvas[data-drawn='1']")
    assert _document_width(page) <= width, _too_wide(page)
    for selector in ("#job-status", "#rerun-job", "#job-progress"):
        box = _box(page, selector)
        assert box["x"] + box["width"] <= width, selector
    page.screenshot(path=str(artifacts / f"job-showcase-{width}.png"), full_page=True)
    page.goto(f"{site.url}/jobs/{site.running}")
    page.wait_for_selector("#cancel-job")
    assert _document_width(page) <= width, _too_wide(page)
    assert _box(page, "#cancel-job")["x"] + _box(page, "#cancel-job")["width"] <= width
    page.screenshot(path=str(artifacts / f"job-running-{width}.png"), full_page=True)
    assert page.js_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_statements_wrap_on_the_discoveries_page(site: Site, context, artifacts: Path,  # noqa: F811
                                                 width: int) -> None:
    page = context(width)
    page.goto(site.url + "/discoveries")
    page.wait_for_selector("table.discoveries .katex")
    assert _document_width(page) <= width, _too_wide(page)
    statement = page.locator("table.discoveries td .math").first
    parts = statement.locator(".math-part")
    assert parts.count() == 3  # the fraction, a(n) and b(n), each a box that wraps
    hidden = statement.evaluate(
        "el => [el, ...el.querySelectorAll('.math-part')]"
        "  .filter(e => e.scrollWidth > e.clientWidth + 1).length")
    if width >= 1000:  # nothing of the statement behind an inner scrollbar
        assert hidden == 0, "part of the statement hides behind a scrollbar"
        cell = statement.evaluate("el => el.closest('td').getBoundingClientRect().right")
        last = parts.last.bounding_box()
        assert last["x"] + last["width"] <= cell + 1, "b(n) runs out of its cell"
    tex = parts.last.locator("annotation").first.text_content()
    assert tex.replace("\\displaystyle", "").strip().startswith("b_n")
    page.screenshot(path=str(artifacts / f"discoveries-{width}.png"), full_page=True)
    assert page.js_errors == []


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
