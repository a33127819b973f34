"""/docs (Swagger UI) and /redoc (ReDoc) work with no network, in a real headless Chromium.

Every request that would leave the service is blocked and recorded: the pages
must render the API from the vendored bundles alone (service/docs_ui.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.service.test_dashboard_browser import artifacts, browser  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture
def offline_page(browser, server_factory):  # noqa: F811
    server = server_factory().start()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    outside: list[str] = []
    errors: list[str] = []

    def route(r) -> None:
        if r.request.url.startswith(server.url):
            r.continue_()
        else:  # no network: a CDN link would leave a blank page
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.base, page.outside, page.errors = server.url, outside, errors
    yield page
    context.close()


def test_swagger_ui_renders_the_api_offline(offline_page, artifacts: Path) -> None:  # noqa: F811
    page = offline_page
    response = page.goto(page.base + "/docs")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "mathdisco" in page.locator(".swagger-ui .info .title").inner_text()
    submit = page.locator(".opblock-summary-path[data-path='/v1/jobs']").first
    submit.wait_for(timeout=30_000)
    submit.click()  # an operation opens, with its "Try it out" button
    page.wait_for_selector(".opblock.is-open .try-out__btn", timeout=10_000)
    page.screenshot(path=str(artifacts / "docs-swagger.png"), full_page=False)
    assert page.outside == []
    assert page.errors == []


def test_redoc_renders_the_api_offline(offline_page, artifacts: Path) -> None:  # noqa: F811
    page = offline_page
    page.goto(page.base + "/redoc")
    page.wait_for_selector("h1:has-text('mathdisco')", timeout=30_000)
    page.wait_for_selector("h2:has-text('List Job Types')", timeout=30_000)
    assert page.get_by_text("/v1/job-types").count() >= 1
    page.screenshot(path=str(artifacts / "docs-redoc.png"), full_page=False)
    assert page.outside == []
    # the bundle's "API docs by Redocly" footer asks a CDN for a logo; the page's CSP stops that
    # before it reaches the network (the component hides the image), and says so in the console
    assert [e for e in page.errors if "cdn.redoc.ly/redoc/logo-mini.svg" not in e] == []
