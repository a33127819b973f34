"""Dashboard pages, fragments, form and exports, in-process (no workers: jobs are written to the store)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engines.discoveries import Discovery, growth_statement, identity_statement
from service import dashboard_render as render
from service.app import create_app
from workers.settings import load_settings

IDENTIFY_RESULT = {"value": "2.16395341373865284877", "precision_digits": 41,
                   "expression": "(1 + E)/(-1 + E)", "latex": "\\frac{1 + e}{-1 + e}",
                   "verified_digits": 40}
CAYLEY_RESULT = {"family": "lrx", "n": 4, "layer_sizes": [1, 3, 5, 6, 5, 3, 1], "diameter": 6,
                 "num_vertices": 24}


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    for key in ("MATHDISCO_BROKER_URL", "MATHDISCO_DATABASE_URL", "MATHDISCO_API_KEYS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MATHDISCO_DATA_DIR", str(tmp_path / "data"))
    app = create_app(load_settings(), local_workers=False)  # nothing runs: the tests set outcomes
    with TestClient(app) as test_client:
        yield test_client


def _store(client: TestClient):
    return client.app.state.store


def _finished(client: TestClient, job_type: str, params: dict, result: dict,
              discoveries: tuple = ()) -> str:
    store = _store(client)
    job, _ = store.create_job(job_type, params)
    store.claim(job.id, "test", 60)
    store.finish(job.id, "succeeded", result=result, discoveries=discoveries)
    return job.id


def test_jobs_page_lists_filters_and_polls_only_while_active(client: TestClient) -> None:
    done = _finished(client, "identify", {"value": "1"}, IDENTIFY_RESULT)
    queued, _ = _store(client).create_job("cayley_growth", {"family": "lrx", "n": 4})
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert done[:8] in page.text and queued.id[:8] in page.text
    assert 'hx-trigger="every 1s"' in page.text  # a queued job is shown: poll fast
    assert f'action="/jobs/{queued.id}/cancel"' in page.text
    assert f'action="/jobs/{done}/cancel"' not in page.text
    only = client.get("/", params={"type": "identify"}).text
    assert done[:8] in only and queued.id[:8] not in only
    fragment = client.get("/fragments/jobs", params={"status": "succeeded"}).text
    assert fragment.lstrip().startswith('<div id="jobs-table"') and "<html" not in fragment
    assert "hx-trigger" not in fragment  # nothing there can change


def test_pagination_is_server_side(client: TestClient) -> None:
    store = _store(client)
    for i in range(120):
        store.create_job("sleep", {"seconds": i})
    first = client.get("/")
    assert first.text.count('<tr id="job-') == 50
    next_url = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = client.get(next_url.replace("&amp;", "&"))
    assert second.text.count('<tr id="job-') == 50
    assert client.get("/?cursor=bad!").status_code == 422


def test_form_is_generated_from_the_schema(client: TestClient) -> None:
    form = client.get("/fragments/form", params={"type": "cayley_growth"}).text
    assert 'name="family"' in form and "<select" in form and ">lrx<" in form
    assert 'name="n"' in form and 'inputmode="decimal"' in form
    assert 'name="generators"' in form and "<textarea" in form  # complex: JSON fallback
    unknown = client.get("/fragments/form", params={"type": "nope"}).text
    assert "Submit identify" in unknown


def test_form_errors_are_shown_next_to_fields(client: TestClient) -> None:
    bad = client.post("/jobs", data={"type": "identify", "value": "1.5", "max_coeff": "0"})
    assert bad.status_code == 422
    assert 'id="err-value"' in bad.text and 'id="err-max_coeff"' in bad.text
    assert 'value="1.5"' in bad.text  # the input is kept
    unparsable = client.post("/jobs", data={"type": "identify", "value": "2.16395341373865",
                                            "max_coeff": "many", "constants": "[pi"})
    assert "expected an integer" in unparsable.text and "expected valid JSON" in unparsable.text
    unknown = client.post("/jobs", data={"type": "nope"})
    assert unknown.status_code == 422 and "unknown job type" in unknown.text


def test_form_submits_and_redirects(client: TestClient) -> None:
    response = client.post("/jobs", data={"type": "identify", "value": "2.1639534137386528487",
                                          "constants": '["e"]', "precision_digits": ""},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/?notice=")
    job = client.get("/v1/jobs").json()["items"][0]
    assert job["type"] == "identify" and job["params"]["constants"] == ["e"]
    assert job["params"]["precision_digits"] is None  # empty input means "the default"


def test_cancel_button(client: TestClient) -> None:
    job, _ = _store(client).create_job("sleep", {"seconds": 5})
    response = client.post(f"/jobs/{job.id}/cancel", follow_redirects=False)
    assert response.status_code == 303
    assert client.get(f"/v1/jobs/{job.id}").json()["status"] == "cancelled"
    again = client.post(f"/jobs/{job.id}/cancel", follow_redirects=False)
    assert again.status_code == 303 and "not+cancelled" in again.headers["location"]
    assert client.post("/jobs/nope/cancel").status_code == 404


def test_job_page_renders_result(client: TestClient) -> None:
    job_id = _finished(client, "cayley_growth", {"family": "lrx", "n": 4}, CAYLEY_RESULT)
    page = client.get(f"/jobs/{job_id}").text
    assert 'id="chart-growth"' in page and "canvas" in page
    assert "hx-trigger" not in page  # finished: no polling
    assert f'href="/v1/jobs/{job_id}/result"' in page
    assert "diameter" in page
    ident = _finished(client, "identify", {"value": "2"}, IDENTIFY_RESULT)
    page = client.get(f"/jobs/{ident}").text
    assert 'data-latex="\\frac{1 + e}{-1 + e}"' in page and "40 digits verified" in page
    running, _ = _store(client).create_job("sleep", {"seconds": 5})
    live = client.get(f"/jobs/{running.id}").text
    assert f'hx-get="/fragments/jobs/{running.id}"' in live
    assert client.get("/jobs/nope").status_code == 404


def test_html_is_escaped(client: TestClient) -> None:
    evil = {"latex": '"><script>alert(1)</script>', "expression": "<img src=x onerror=alert(1)>"}
    job_id = _finished(client, "identify", {"value": "<b>x</b>"}, evil)
    page = client.get(f"/jobs/{job_id}").text
    assert "<script>alert(1)" not in page and "<img src=x" not in page and "<b>x</b>" not in page


def _discoveries(client: TestClient) -> str:
    found = (Discovery(target="e", text="-1 + e = ...", latex="e - 1",
                       statement=identity_statement("1.718281828", "E - 1"),
                       evidence={"verified_digits": 40}),
             Discovery(target="lrx", text="growth of lrx", latex="\\gamma_4",
                       statement=growth_statement("lrx", 4, [1, 3, 6]), evidence={}))
    return _finished(client, "identify", {"value": "3"}, IDENTIFY_RESULT, discoveries=found)


def test_discoveries_page_search_and_links(client: TestClient) -> None:
    job_id = _discoveries(client)
    page = client.get("/discoveries").text
    assert f'href="/jobs/{job_id}"' in page and "identity" in page and "growth_sequence" in page
    only = client.get("/discoveries", params={"kind": "identity"}).text
    assert "growth of lrx" not in only and "-1 + e" in only
    assert "growth of lrx" in client.get("/discoveries", params={"q": "lrx"}).text
    assert "growth of lrx" not in client.get("/discoveries", params={"target": "e"}).text


def test_discoveries_export(client: TestClient) -> None:
    job_id = _discoveries(client)
    data = client.get("/discoveries.json").json()["items"]
    assert {d["kind"] for d in data} == {"identity", "growth_sequence"}
    assert all(d["jobs"] == [job_id] for d in data)
    assert len(client.get("/discoveries.json", params={"kind": "identity"}).json()["items"]) == 1
    response = client.get("/discoveries.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 2 and rows[0]["jobs"] == job_id
    identity = next(r for r in rows if r["kind"] == "identity")
    assert identity["text"].startswith("'-1")  # no spreadsheet formula injection
    assert identity["verified_digits"] == "40"


def test_static_assets_are_vendored(client: TestClient) -> None:
    page = client.get("/").text
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    for path in ("vendor/htmx/htmx.min.js", "vendor/katex/katex.min.js",
                 "vendor/katex/auto-render.min.js", "vendor/katex/katex.min.css",
                 "vendor/chartjs/chart.umd.min.js", "dashboard.js", "dashboard.css"):
        assert client.get(f"/static/{path}").status_code == 200, path
    css = client.get("/static/vendor/katex/katex.min.css").text
    font = css.split("url(fonts/")[1].split(")")[0]
    assert font.endswith(".woff2") and client.get(f"/static/vendor/katex/fonts/{font}").status_code == 200


# -- the pure helpers -----------------------------------------------------------------------------


def test_gcf_latex_is_a_nested_cfrac() -> None:
    e = {"kind": "gcf", "a": {"initial": [2], "period": 3, "polynomials": [[1], [2, 2], [1]]},
         "b": {"initial": [0], "period": 1, "polynomials": [[1]]}}
    assert [render.qp_term(e["a"], n) for n in range(9)] == [2, 1, 2, 1, 1, 4, 1, 1, 6]
    latex = render.gcf_latex(e)
    assert latex.startswith("2 + \\cfrac{1}{1 + \\cfrac{1}{2 +") and latex.count("\\cfrac") == 4
    items = render.latex_items({"conjectures": [{**e, "equals": "E"}]})
    assert items[0]["latex"].startswith("E = 2 + \\cfrac")


def test_charts_by_result_shape() -> None:
    assert [c["id"] for c in render.charts(CAYLEY_RESULT)] == ["growth"]
    sweep = {"diameters": {"3": 2, "4": 6, "5": 10}, "formula": {
        "period": 1, "valid_from": 3, "polynomials": [{"residue": 0, "coefficients": ["-10", "4"]}],
        "text": "4*n - 10"}}
    chart = render.charts(sweep)[0]
    assert chart["id"] == "diameters" and chart["series"][1]["y"] == [2.0, 6.0, 10.0]
    pareto = render.charts({"pareto": [{"complexity": 5, "nrmse": 0.3}, {"complexity": 9, "nrmse": 0.01}]})
    assert pareto[0]["y_log"] and pareto[0]["type"] == "scatter"
    loss = render.charts({"loss_history": [1.0, 0.5, 0.1], "history_every": 10})
    assert loss[0]["series"][0]["x"] == [0, 10, 20]
    convergence = render.charts({"convergence": [{"depth": 10, "error": 1e-5}, {"depth": 20, "error": 0}]})
    assert convergence[0]["y_log"] and convergence[0]["series"][0]["y"][1] > 0
    assert render.charts({"value": "29/5760"}) == []
    json.dumps(render.charts(sweep), allow_nan=False)


def test_field_errors_mapping() -> None:
    by_field, general = render.field_errors([
        {"field": "params.depth", "message": "too big"}, {"field": "params.x.0", "message": "bad"},
        {"field": "params", "message": "n_min must not exceed n_max"}, {"field": "type", "message": "?"}])
    assert by_field == {"depth": "too big", "x": "0: bad"}
    assert general == ["n_min must not exceed n_max", "type: ?"]
