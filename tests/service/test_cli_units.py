"""The command line's pieces in process: params typed by real schemas, batch checks, summaries."""

from __future__ import annotations

import pytest

from mathdisco.engines.contract import EngineParams, JobType
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
from mathdisco.service.cli_batch import batch_key, spec_problems
from mathdisco.service.cli_params import CliError, check_against_schema, coerce, parse_pairs
from mathdisco.service.cli_summary import render_generic, render_view, summary
from mathdisco.service.cli_types import types_overview
from mathdisco.service.views import job_types_catalogue

APERY = "1.2020569031595942853997381615114499907650"


def schema(name: str) -> dict:
    return job_types()[name].params_model.model_json_schema()


def field(name: str, key: str) -> tuple[dict, dict]:
    s = schema(name)
    return s["properties"][key], s.get("$defs", {})


@pytest.mark.parametrize(("type_name", "key", "raw", "value"), [
    ("identify", "value", APERY, APERY),  # a string field keeps every digit
    ("identify", "value", "3", "3"),
    ("identify", "precision_digits", "30", 30),
    ("identify", "precision_digits", "null", None),
    ("identify", "constants", "pi,zeta3", ["pi", "zeta3"]),
    ("identify", "constants", '["pi"]', ["pi"]),
    ("psi_exact", "insertions", "2,3", [2, 3]),
    ("psi_exact", "insertions", "[2, 3]", [2, 3]),
    ("sr_neural", "benchmark", "Nguyen-1", "Nguyen-1"),
    ("sr_neural", "time_limit_s", "20", 20),
    ("sr_neural", "lr", "1e-3", 0.001),
    ("sr_neural", "device", "cpu", "cpu"),
    ("cayley_growth", "add_inverses", "yes", True),
    ("cayley_growth", "add_inverses", "false", False),
])
def test_values_are_read_as_the_field_says(type_name: str, key: str, raw: str, value: object) -> None:
    prop, defs = field(type_name, key)
    assert coerce(raw, prop, defs) == value


def test_typed_pairs_validate_where_guessing_did_not() -> None:
    params = parse_pairs([f"value={APERY}"], schema("identify"), "identify")
    model = job_types()["identify"].validate(params)
    assert model.value == APERY
    with pytest.raises(CliError, match="did you mean 'insertions'"):
        parse_pairs(["insertion=1,2"], schema("psi_exact"), "psi_exact")


@pytest.mark.parametrize("entry", job_types_catalogue(), ids=lambda e: e["name"])
def test_defaults_pass_the_client_side_schema_check(entry: dict) -> None:
    params = dict(entry["defaults"])
    required = {"identify": {"value": "1.5"}, "esma": {"constant": "e"}, "psi_exact": {"genus": 1, "insertions": [1]},
                "cayley_sweep": {"family": "lrx", "n_min": 3, "n_max": 5}}
    params.update(required.get(entry["name"], {}))
    assert check_against_schema(params, entry["schema"]) == []


def test_schema_check_names_what_is_wrong() -> None:
    assert check_against_schema({"value": 1.5}, schema("identify")) == ["value: expected string, got number"]
    assert check_against_schema({"value": "1.5", "max_coeff": 0}, schema("identify"))[0].startswith(
        "max_coeff: must be >=")
    problems = check_against_schema({"benchmark": "nguyen-1", "device": "gpu"}, schema("sr_neural"))
    assert len(problems) == 1 and problems[0].startswith("device: must be one of")
    assert check_against_schema({"genus": 1}, schema("psi_exact")) == ["missing required param 'insertions'"]


def test_spec_problems_uses_the_catalogue_and_the_local_model() -> None:
    catalogue = job_types_catalogue()
    assert spec_problems({"type": "identify", "params": {"value": APERY}}, catalogue) == []
    assert "10 significant digits" in spec_problems({"type": "identify", "params": {"value": "1.5"}},
                                                    catalogue)[0]
    assert "did you mean 'identify'" in spec_problems({"type": "identfy", "params": {}}, catalogue)[0]
    # a rule between fields (no M_{0,1}) that JSON Schema cannot state: the local model's
    assert spec_problems({"type": "psi_exact", "params": {"genus": 0, "insertions": [0]}}, catalogue)
    # a server whose schema differs from this installation's: only the published schema is used
    other = [dict(e, schema={**e["schema"], "title": "other"}) if e["name"] == "psi_exact" else e
             for e in catalogue]
    assert spec_problems({"type": "psi_exact", "params": {"genus": 0, "insertions": [0]}}, other) == []


def test_key_salt_changes_every_key_and_no_salt_keeps_the_old_ones(tmp_path) -> None:
    path, spec = tmp_path / "nightly.yaml", {"type": "identify", "params": {"value": "1.5"}}
    unsalted = batch_key(path, 0, spec)
    assert unsalted == batch_key(path, 0, spec, "")
    assert batch_key(path, 0, spec, "2026-12-07") == batch_key(path, 0, spec, "2026-12-07")
    assert len({unsalted, batch_key(path, 0, spec, "2026-12-07"), batch_key(path, 0, spec, "2026-12-08"),
                batch_key(path, 1, spec, "2026-12-07")}) == 4


class _Result(ResultModel):
    sizes: list[int]
    closed_form: str


class _Plain(ResultModel):
    x: float


def _view(result: _Result) -> ResultView:
    return ResultView(
        formulas=[ShownFormula(label="Formula 1: the limit", text=result.closed_form, latex=r"\pi/4",
                               verified_digits=30, facts={"depth": 1000})],
        evidence=[EvidenceRow(label="converges", value=True)],
        charts=[Chart(id="growth", title="Growth", kind="bar", x=Axis(label="r", integer=True),
                      y=Axis(label="|S(r)|", scale="log"),
                      series=[Series(label="layer size", x=list(range(len(result.sizes))), y=result.sizes)])],
        notes=["a note"])


def test_summary_writes_the_declared_view() -> None:
    job_type = JobType(name="demo", params_model=EngineParams, run=lambda p, progress: {}, summary="demo",
                       result_model=_Result, view=_view)
    text = summary(job_type, {"sizes": [1, 3, 6, 11], "closed_form": "pi/4"})
    assert text.splitlines() == [
        "Formula 1: the limit: pi/4",
        "    verified to 30 digits",
        "    depth: 1000",
        "converges: yes",
        "Growth (|S(r)| by r, log scale):",
        "    layer size at r = 0..3: 1, 3, 6, 11",
        "a note",
    ]
    # no view declared: the generic summary of the fields, without provenance
    plain = JobType(name="plain", params_model=EngineParams, run=lambda p, progress: {}, summary="plain",
                    result_model=_Plain)
    assert summary(plain, {"x": 1.5}) == "x: 1.5"
    assert render_generic({"x": 1.5, "provenance": {"job_type": "plain"}}) == "x: 1.5"


def test_generic_summary_shortens_long_sequences_and_lists_of_objects() -> None:
    text = render_generic({"terms": list(range(40)), "rows": [{"k": i} for i in range(8)], "ok": False})
    assert "terms: 0, 1, 2" in text and "(40 values)" in text
    assert "rows: 8 entries" in text and text.count("- {") == 5
    assert "ok: no" in text


def test_overview_lists_every_type_with_its_defaults() -> None:
    text = types_overview(job_types_catalogue())
    for name in job_types():
        assert f"{name}:" in text
    assert "max_coeff=10000" in text and "value (required)" in text


def test_chart_positions_in_steps_are_written_as_a_range() -> None:
    chart = Chart(id="loss", title="Loss", kind="line", x=Axis(label="step", integer=True),
                  y=Axis(label="MSE", scale="log"), series=[Series(label="train", x=[4, 8, 12], y=[0.5, 0.25, 0.125])])
    assert render_view(ResultView(charts=[chart])).splitlines() == [
        "Loss (MSE by step, log scale):", "    train at step = 4..12 step 4: 0.5, 0.25, 0.125"]
    scattered = Chart(id="pareto", title="Front", kind="scatter", x=Axis(label="size"), y=Axis(label="error"),
                      series=[Series(label="models", x=[3, 5, 9], y=[0.1, 0.01, 0.001])])
    assert render_view(ResultView(charts=[scattered])).splitlines()[2] == "        size: 3, 5, 9"
