"""Dashboard pages, fragments, form and exports, in-process (no workers: jobs are written to the store)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mathdisco.engines.contract import EngineParams, JobType
from mathdisco.engines.discoveries import Discovery, growth_statement, identity_statement
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
from mathdisco.service import forms
from mathdisco.service.app import create_app
from mathdisco.workers.runner import final_result
from mathdisco.workers.settings import load_settings

IDENTIFY_RESULT = {"value": "2.16395341373865284877", "precision_digits": 41,
                   "expression": "(1 + E)/(-1 + E)", "latex": "\\frac{1 + e}{-1 + e}",
                   "verified_digits": 40}


class DemoParams(EngineParams):
    pass


class DemoResult(ResultModel):
    sizes: list[int]
    ok: bool


def demo_view(result: DemoResult) -> ResultView:
    """A declared view: one labelled formula, a yes/no evidence row and a log-toggle chart."""
    chart = Chart(id="growth", title="Demo growth", kind="bar", x=Axis(label="r", integer=True),
                  y=Axis(label="size", log_toggle=True),
                  series=[Series(label="layer size", x=list(range(len(result.sizes))), y=result.sizes)])
    return ResultView(formulas=[ShownFormula(label="Formula 1: the demo", text="x = 1",
                                             latex="x = \\frac{1}{1}", verified_digits=40)],
                      evidence=[EvidenceRow(label="all checks passed", value=result.ok)],
                      charts=[chart])


@pytest.fixture
def demo_type(monkeypatch: pytest.MonkeyPatch) -> JobType:
    """A job type registered for one test, whose view exercises every kind of declaration."""
    demo = JobType("demo_view", DemoParams, lambda params, progress: {"sizes": [1, 3, 5], "ok": True},
                   "demo", result_model=DemoResult, view=demo_view)
    monkeypatch.setitem(job_types(), "demo_view", demo)
    return demo


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


def test_job_page_renders_the_declared_view(client: TestClient, demo_type: JobType) -> None:
    result = final_result(demo_type, DemoParams(), demo_type.run(DemoParams(), None))
    job_id = _finished(client, "demo_view", {}, result)
    page = client.get(f"/jobs/{job_id}").text
    assert 'id="chart-growth"' in page and "canvas" in page and "data-chart-toggle" in page
    assert "Formula 1: the demo" in page and "40 digits verified" in page
    assert "all checks passed</th><td class=\"mono\">yes" in page and "True" not in page
    assert 'id="provenance"' in page and "mathdisco" in page
    assert "hx-trigger" not in page  # finished: no polling
    assert f'href="/v1/jobs/{job_id}/result"' in page
    running, _ = _store(client).create_job("sleep", {"seconds": 5})
    live = client.get(f"/jobs/{running.id}").text
    assert f'hx-get="/fragments/jobs/{running.id}"' in live
    assert client.get("/jobs/nope").status_code == 404


def test_job_page_of_a_real_esma_result(client: TestClient) -> None:
    from mathdisco.engines.esma.params import EsmaParams
    from mathdisco.engines.registry import get_job_type

    esma = get_job_type("esma")
    params = EsmaParams(constant="e", lhs_coefficient_bound=1, max_sign_period=2,
                        approve_depth=400, approve_digits=200)
    result = final_result(esma, params, esma.run(params, lambda *a: None))
    job_id = _finished(client, "esma", params.model_dump(mode="json"), result,
                       discoveries=tuple(esma.discoveries(params, esma.check_result(result))))
    page = client.get(f"/jobs/{job_id}").text
    assert "Conjecture 1: (1 + E)/(-1 + E)" in page and "200 digits verified" in page
    assert "conjectures[" not in page  # labels, not JSON paths
    assert "Catalogued discoveries" not in page  # each formula once
    assert page.count("Conjecture 1:") == 1


def test_a_result_that_does_not_match_its_model_is_shown_raw(client: TestClient) -> None:
    job_id = _finished(client, "esma", {"constant": "e"}, {"conjectures": "not a list"})
    page = client.get(f"/jobs/{job_id}").text
    assert "does not match the current result model" in page and "not a list" in page


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


def test_form_puts_key_params_first_and_gives_list_examples() -> None:
    schema = {"properties": {"tuning": {"type": "integer", "default": 3},
                             "rows": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
                             "names": {"type": "array", "items": {"type": "string"}, "default": []},
                             "benchmark": {"type": "string"}}, "required": []}
    fields = forms.form_fields(schema, ("benchmark", "rows"))
    assert [f.name for f in fields] == ["benchmark", "rows", "tuning", "names"]
    assert fields[0].key and fields[1].key and not fields[2].key
    assert fields[1].example == "e.g. [[1, 2], [3, 4]]" and "e.g." in fields[3].example


def test_field_errors_mapping() -> None:
    by_field, general = forms.field_errors([
        {"field": "params.depth", "message": "too big"}, {"field": "params.x.0", "message": "bad"},
        {"field": "params", "message": "n_min must not exceed n_max"}, {"field": "type", "message": "?"}])
    assert by_field == {"depth": "too big", "x": "0: bad"}
    assert general == ["n_min must not exceed n_max", "type: ?"]


def test_dashboard_filters_refuse_unknown_values(client: TestClient) -> None:
    for url in ("/?type=bogus", "/?status=bogus", "/fragments/jobs?type=bogus",
                "/discoveries?kind=bogus", "/discoveries?job_type=bogus",
                "/discoveries.json?kind=bogus", "/discoveries.csv?job_type=bogus"):
        r = client.get(url)
        assert r.status_code == 422, url
        assert r.json()["errors"][0]["field"].startswith("query.")
    assert client.get("/?type=&status=").status_code == 200  # the form's "all"


def test_jobs_list_shows_key_params_and_the_limited_mark(client: TestClient,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store(client)
    pancake, _ = store.create_job("cayley_growth", {"family": "pancake", "n": 11, "threads": 1,
                                                    "max_diameter": None})
    lrx, _ = store.create_job("cayley_growth", {"family": "lrx", "n": 9, "threads": 1})
    esma, _ = store.create_job("esma", {"constant": "tan1", "lhs_coefficient_bound": 2,
                                        "max_sign_period": 4, "n_terms": 100})
    page = client.get("/").text

    def row(job_id: str) -> str:
        return page.split(f'<tr id="job-{job_id}"')[1].split("</tr>")[0]

    assert "family=pancake n=11" in row(pancake.id) and "family=lrx n=9" in row(lrx.id)
    assert "constant=tan1 lhs_coefficient_bound=2 max_sign_period=4" in row(esma.id)
    assert "n_terms" not in row(esma.id)  # esma declares its key params; others are not shown
    assert "limited" not in page
    # the runner's `limited` mark (a view field): a badge with the reason, in the row and on the page
    reason = "time limit reached while compiling the numba kernels"
    import mathdisco.service.dashboard as dashboard

    original = dashboard.job_view
    monkeypatch.setattr(dashboard, "job_view", lambda job: {
        **original(job), **({"limited": {"reason": reason}} if job.id == lrx.id else {})})
    page = client.get("/").text
    assert 'class="badge limited"' in row(lrx.id) and reason in row(lrx.id)
    assert "badge limited" not in row(pancake.id)
    body = client.get(f"/jobs/{lrx.id}").text
    assert 'id="job-limited"' in body and reason in body
    assert 'id="job-limited"' not in client.get(f"/jobs/{pancake.id}").text


def test_a_result_stopped_by_its_limit_is_marked_limited_in_the_list_and_on_its_page(
        client: TestClient) -> None:
    reason = "time limit reached while compiling the numba kernels"
    limited = _finished(client, "identify", {"value": "1"}, {**IDENTIFY_RESULT,
                                                             "limited": {"reason": reason}})
    plain = _finished(client, "identify", {"value": "2"}, IDENTIFY_RESULT)
    page = client.get("/").text
    row = page.split(f'<tr id="job-{limited}"')[1].split("</tr>")[0]
    assert 'class="badge limited"' in row and reason in row
    assert "badge limited" not in page.split(f'<tr id="job-{plain}"')[1].split("</tr>")[0]
    assert reason in client.get(f"/jobs/{limited}").text.split('id="job-limited"')[1][:300]
