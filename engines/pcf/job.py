"""The ``pcf_cluster`` job type: enumerate, measure, identify every member, cluster, generalise.

Implements the pipeline of Shalyt et al., "Unsupervised Discovery of Formulas
for Mathematical Constants" (NeurIPS 2024, arXiv 2412.16818), Fig. 1, with
identification moved in front of clustering so that no member is skipped:

1. enumerate the PCFs of a coefficient box (:mod:`mathdisco.engines.pcf.enumeration`);
   ``b`` with a positive integer root makes the fraction terminate: those are
   reported as ``terminating`` with their exact rational value;
2. measure the convergence dynamics (:mod:`mathdisco.engines.pcf.dynamics`) and try
   **every** convergent member against the basis (:mod:`mathdisco.engines.pcf.table`,
   :mod:`mathdisco.engines.pcf.members`): rational, quadratic irrational, or Möbius in a
   basis constant, accepted by the one rule of
   :mod:`mathdisco.engines.numerics.identification`; slowly converging members are
   evaluated deeper with tail-corrected convergents (:mod:`mathdisco.engines.pcf.evaluation`);
3. cluster the convergent members plane by plane, label the clusters by their
   members, and run PSLQ for the remaining members of labelled clusters
   (:mod:`mathdisco.engines.pcf.analysis`);
4. go beyond the basis (:mod:`mathdisco.engines.pcf.account`): a proved closed form for
   every member with ``deg a <= 1``, ``deg b <= 2`` (:mod:`mathdisco.engines.pcf.closed_forms`;
   per member, so computed with the table, in the shards), hypotheses for unknown constants -- members no basis constant names,
   connected to each other by Möbius relations (:mod:`mathdisco.engines.pcf.hypotheses`,
   the paper's step (e.2)) -- and the account of every convergent member
   (``explained``);
5. generalise identified members on lines in coefficient space into
   parametric families (:mod:`mathdisco.engines.pcf.families`) and group the formulas
   into equivalence classes, one catalogue entry each (:mod:`mathdisco.engines.pcf.catalogue`).

Sharding: ``shards(params)`` cuts the index range into contiguous pieces of
:data:`SHARD_SIZE` run with ``stage = "features"`` (steps 1-2: the table and
the shard's identified formulas); ``merge`` runs steps 3-5 once on the shards'
tables in index order (hypotheses connect members of different shards), exactly as ``run`` does on its own table, so
``merge(p, [run(s) for s in shards(p)]) == run(p)`` up to timing fields.

Result size: the merged result is a summary -- counts, clusters, families,
the catalogue and every identified formula -- and carries the per-PCF table
only up to :data:`MAX_TABLE_ROWS` rows; past that the table stays in the shard
results (``feature_table.rows``, paged over the shards in index order)."""

from __future__ import annotations

import time

from mathdisco.engines.contract import (
    Estimate,
    JobType,
    Progress,
    TimeLimits,
    no_progress,
)
from mathdisco.engines.discoveries import Discovery, formula_statement
from mathdisco.engines.numerics.constants import CONSTANTS
from mathdisco.engines.numerics.formula import QuasiPolynomial
from mathdisco.engines.pcf.params import PCFClusterParams
from mathdisco.engines.pcf.results import Hypothesis, PCFClusterResult, view
from mathdisco.engines.pcf.table import TABLE_COLUMNS, kernel_seconds

__all__ = ["JOB_TYPES", "PCFClusterParams", "estimate", "merge", "run", "shards", "warm_up"]


MAX_TABLE_ROWS = 100_000


SHARD_SIZE = 50_000


#: members listed per catalogue entry
CATALOGUE_LISTED = 50
#: a merged summary lists at most this many formulas and hypergeometric catalogue classes;
#: beyond, ``identified`` is left out and paged over the shard results (the service's
#: ``/items/identified``), the formulas named by a constant stay in ``named_formulas``
MAX_SUMMARY_FORMULAS = 10_000
MAX_SUMMARY_CLASSES = 2_000


#: measured costs (seconds, one core of this machine) behind :func:`estimate`
IDENTIFY_S = 4e-4        # one fast member through the finders


SLOW_MEMBER_S = 0.03     # one member through the depth ladder


# the next two first measured at load ~8 (122.6 s for 11,100 members searched, 39.0 s for 1,286
# members in reach), then scaled to an idle core: bench/time_limits.py --estimates ran the
# default box in 111.6 s and the (1, 2) box in 50 s, 0.38 and 0.35 of the loaded model
HYPOTHESIS_S = 0.004     # one member beyond the basis through the hypothesis search


CLOSED_FORM_S = 0.01     # one member with deg a <= 1, deg b <= 2 through the closed forms


CLUSTER_S_PER_ROW = 2e-5


ROW_BYTES = 900          # one table row as Python objects


MEMBER_BYTES = 10_000    # one member in the hypothesis search (measured: 8.6 kB of windows)


INDEX_BYTES = 120 * 2**20


def _slow_fraction(params: PCFClusterParams) -> float:
    """The share of the box with constant ``a`` and ``deg b >= 1`` (the slowly converging classes)."""
    if params.b_degree == 0:
        return 0.0
    radix = params.coefficient_max - params.coefficient_min + 1
    zero = 1 if params.coefficient_min <= 0 <= params.coefficient_max else 0
    return (radix - zero) / (radix ** (params.a_degree + 1) - zero)


def _closed_form_fraction(params: PCFClusterParams) -> float:
    """The share of the box with ``deg a <= 1`` and ``deg b <= 2`` (closed forms apply)."""
    radix = params.coefficient_max - params.coefficient_min + 1
    a_share = radix ** (min(params.a_degree, 1) + 1 - (params.a_degree + 1))
    b_share = radix ** (min(params.b_degree, 2) + 1 - (params.b_degree + 1))
    return a_share * b_share


def estimate(params: PCFClusterParams) -> Estimate:
    """Seconds (one worker) and peak bytes, from the engine's own cost model.

    Features: :func:`mathdisco.engines.pcf.table.kernel_seconds` per PCF (about 1 ms at
    the paper's depth); identification: ``IDENTIFY_S`` per member and
    ``SLOW_MEMBER_S`` per member of the slow classes (constant ``a``);
    clustering ``CLUSTER_S_PER_ROW``; closed forms ``CLOSED_FORM_S`` per member
    in their reach; hypotheses ``HYPOTHESIS_S`` per member searched (at most
    ``hypothesis_max_members``, taken as every PCF of the range: most members
    are beyond the basis); memory: the table rows held at once (a merge holds
    them all) plus the tail index.
    """
    start, stop = params.index_range
    count = stop - start
    per_pcf = (kernel_seconds(params) + IDENTIFY_S + _slow_fraction(params) * SLOW_MEMBER_S
               + CLUSTER_S_PER_ROW + _closed_form_fraction(params) * CLOSED_FORM_S)
    searched = min(count, params.hypothesis_max_members) if params.hypotheses else 0
    return Estimate(seconds=round(count * per_pcf + searched * HYPOTHESIS_S, 1),
                    memory_bytes=int(count * ROW_BYTES + INDEX_BYTES + searched * MEMBER_BYTES))


def _shard_result(params: PCFClusterParams, rows: list, formulas: list, stats: dict,
                  closed: dict) -> dict:
    return {"stage": "features", "index_range": list(params.index_range),
            "feature_table": {"columns": TABLE_COLUMNS, "rows": rows},
            "feature_table_rows": len(rows), "identified": formulas,
            "identified_count": len(formulas), "identification": stats, "closed_forms": closed}


def run(params: PCFClusterParams, progress: Progress = no_progress) -> dict:
    """Run the pipeline over the params' index range; see the module docstring."""
    from mathdisco.engines.pcf.account import closed_forms
    from mathdisco.engines.pcf.table import box_rows

    clock = time.perf_counter()
    rows, formulas, stats = box_rows(params, progress)
    # per member, so in the shards: the merge only concatenates what they found
    started = time.perf_counter()
    closed = closed_forms(params, rows, formulas, progress)
    stats["seconds"]["closed forms"] = round(time.perf_counter() - started, 3)
    result = _shard_result(params, rows, formulas, stats, closed)
    if params.stage == "features":
        return result
    return _summarise(params, [result], progress, time.perf_counter() - clock)


#: params read only by the merge (clustering, cluster labels, families)
MERGE_ONLY = ("planes", "min_cluster_size", "grid", "radius", "max_clusters", "max_representatives",
              "identify_clusters", "representatives", "members_checked", "families", "hypotheses",
              "hypothesis_max_members", "hypothesis_max_det", "hypothesis_pslq_pairs",
              "hypothesis_certificates")


def shards(params: PCFClusterParams) -> list[dict]:
    """Contiguous index ranges of at most SHARD_SIZE PCFs, each a features-only job."""
    from mathdisco.engines.pcf.enumeration import index_ranges

    start, stop = params.index_range
    # a shard computes the table only: the merge's own params keep their defaults there, so
    # a rerun that changes only them finds its shards already stored
    base = params.model_dump(mode="json", exclude=set(MERGE_ONLY))
    return [{**base, "index_start": start + lo, "index_stop": start + hi, "stage": "features"}
            for lo, hi in index_ranges(stop - start, SHARD_SIZE)]


def merge(params: PCFClusterParams, results: list[dict]) -> dict:
    """The shards' tables in index order, then steps 3-4 once (as :func:`run`)."""
    ordered = sorted(results, key=lambda r: r["index_range"][0])
    if params.stage == "features":
        rows = [row for r in ordered for row in r["feature_table"]["rows"]]
        formulas = [f for r in ordered for f in r["identified"]]
        return _shard_result(params, rows, formulas, _sum_stats(ordered),
                             _sum_counts(r.get("closed_forms") or {} for r in ordered))
    return _summarise(params, ordered, no_progress, None, paged=True)


def _sum_counts(pieces) -> dict[str, int]:
    total: dict[str, int] = {}
    for counts in pieces:
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
    return total


def _sum_stats(results: list[dict]) -> dict:
    counts: dict[str, int] = {}
    seconds: dict[str, float] = {}
    for r in results:
        for key, value in r["identification"].get("counts", {}).items():
            counts[key] = counts.get(key, 0) + value
        for key, value in r["identification"].get("seconds", {}).items():
            seconds[key] = round(seconds.get(key, 0.0) + value, 3)
    return {"counts": dict(sorted(counts.items())), "seconds": dict(sorted(seconds.items()))}


def _summarise(params: PCFClusterParams, pieces: list[dict], progress: Progress,
               table_seconds: float | None, paged: bool = False) -> dict:
    """Steps 3-4 over the pieces' tables; with ``paged`` (a merge: the shard results are
    stored) large lists are bounded as :func:`_bound_lists` says."""
    from mathdisco.engines.pcf.account import account
    from mathdisco.engines.pcf.analysis import analyse

    clock = time.perf_counter()
    rows = [row for piece in pieces for row in piece["feature_table"]["rows"]]
    formulas = [f for piece in pieces for f in piece["identified"]]
    stats = _sum_stats(pieces)
    summary = analyse(params, rows, stats, progress)
    cluster_of = summary.pop("_cluster_of")
    accelerated = summary.pop("_accelerated")
    formulas += accelerated
    beyond = account(params, rows, formulas, cluster_of, progress)
    beyond["closed_forms"] = _sum_counts(piece.get("closed_forms") or {} for piece in pieces)
    beyond_seconds = beyond.pop("_seconds")
    formulas.sort(key=lambda f: f["index"])
    for f in formulas:
        k = cluster_of.get(f["index"], -1)
        f["cluster"] = k if k >= 0 else None  # None: noise, or not clustered
    per_constant: dict[str, int] = {}
    for f in formulas:
        if f["form"] != "hypergeometric":
            per_constant[f["constant"]] = per_constant.get(f["constant"], 0) + 1
    catalogue = _catalogue(formulas)
    result = {
        "stage": "all", "index_range": list(params.index_range),
        "box": {"a_degree": params.a_degree, "b_degree": params.b_degree,
                "coefficient_min": params.coefficient_min,
                "coefficient_max": params.coefficient_max, "count": params.box.count},
        "depth": params.depth, "sample_depth": params.depth // 2,
        "feature_table_rows": len(rows),
        "identified": formulas, "identified_count": len(formulas),
        "identification": stats,
        **summary,
        **beyond,
        "families": _families(params, formulas) if params.families else [],
        "catalogue": catalogue, "catalogue_classes": len(catalogue),
        "formulas_per_constant": dict(sorted(per_constant.items(), key=lambda kv: (-kv[1], kv[0]))),
        "timing": {"analysis_s": round(time.perf_counter() - clock, 3), **beyond_seconds,
                   **({"table_s": round(table_seconds, 3)} if table_seconds is not None else {})},
    }
    progress(1, 1, f"analysis finished: {len(summary['clusters'])} clusters, "
                   f"{len(formulas):,} formulas in {len(catalogue):,} classes, "
                   f"{len(result['families'])} families, {len(beyond['hypotheses'])} hypotheses")
    if paged:
        _bound_lists(result, accelerated)
    if len(rows) <= MAX_TABLE_ROWS:
        cluster_column = [cluster_of.get(row[0], -1) for row in rows]
        result["feature_table"] = {
            "columns": TABLE_COLUMNS + ["cluster"],
            "rows": [row + [k] for row, k in zip(rows, cluster_column, strict=True)]}
    else:
        result["feature_table"] = None
        result["feature_table_note"] = (
            f"{len(rows):,} rows exceed the {MAX_TABLE_ROWS:,}-row summary; the table stays in "
            "the shard results (feature_table.rows, in index order)")
    return result


def _bound_lists(result: dict, accelerated: list[dict]) -> None:
    """Keep a merged summary small where closed forms make its lists huge.

    The paper-scale box has ~98,000 members named only by a hypergeometric closed form in
    ~34,000 classes: listed in full, the summary was 318 MiB.  Past MAX_SUMMARY_FORMULAS
    the summary leaves ``identified`` out (every shard result holds its members' formulas,
    paged in index order) and keeps the formulas named by a constant in ``named_formulas``;
    past MAX_SUMMARY_CLASSES hypergeometric classes, the largest are kept (all classes of a
    named constant stay).  Counts are of everything.
    """
    formulas = result["identified"]
    if len(formulas) > MAX_SUMMARY_FORMULAS:
        named = [f for f in formulas if f["form"] != "hypergeometric"]
        result["identified"], result["named_formulas"] = None, named
        result["identified_note"] = (
            f"{len(formulas):,} formulas exceed the {MAX_SUMMARY_FORMULAS:,}-formula summary: the "
            f"{len(named):,} named by a constant are in named_formulas; every formula found in "
            "the shards, hypergeometric closed forms included, stays in the shard results "
            f"(identified, in index order); the {len(accelerated):,} the cluster accelerator "
            "found at the merge are in named_formulas only")
    catalogue = result["catalogue"]
    hypergeometric = [e for e in catalogue if e["constant"] == "hypergeometric"]
    if len(hypergeometric) > MAX_SUMMARY_CLASSES:
        largest = sorted(hypergeometric, key=lambda e: -e["size"])[:MAX_SUMMARY_CLASSES]
        kept = {id(e) for e in largest}
        result["catalogue"] = [e for e in catalogue
                               if e["constant"] != "hypergeometric" or id(e) in kept]
        result["catalogue_note"] = (
            f"{len(hypergeometric):,} classes named only by a hypergeometric closed form: the "
            f"{MAX_SUMMARY_CLASSES:,} largest are listed; catalogue_classes counts all")


def _catalogue(formulas: list[dict]) -> list[dict]:
    from mathdisco.engines.pcf.catalogue import classes

    out = []
    for entry in classes(formulas):
        representative = formulas[entry["representative"]]
        members = [formulas[p] for p in entry["members"]]
        out.append({
            "constant": entry["constant"], "canonical": entry["canonical"],
            "representative": representative["index"], "equals": representative["equals"],
            "text": representative["text"], "latex": representative["latex"],
            "verified_digits": representative["verified_digits"],
            "found_digits": representative["evidence"]["found_digits"], "size": len(members),
            "members": [{"index": f["index"], "a": f["a"]["polynomials"][0],
                         "b": f["b"]["polynomials"][0], "equals": f["equals"],
                         "verified_digits": f["verified_digits"],
                         "hypergeometric": f.get("hypergeometric"), "proof": f["proof"]}
                        for f in members[:CATALOGUE_LISTED]]})
    return out


def _extender(params: PCFClusterParams):
    """``extend(constant, vector)``: identify ``PCF[vector]`` (maybe outside the box) against one constant."""
    from mathdisco.engines.pcf.enumeration import first_positive_root
    from mathdisco.engines.pcf.members import identify_member
    from mathdisco.engines.pcf.table import member_values, tail_index

    index = tail_index(params)
    width_a = params.a_degree + 1

    def extend(constant: str, vector: tuple[int, ...]) -> tuple[int, ...] | None:
        import numpy as np

        a, b = list(vector[:width_a]), list(vector[width_a:])
        if not any(a) or not any(b) or first_positive_root(np.array([b]))[0]:
            return None
        search, check, _ = member_values(params, a, b, None, 0.0)
        found = identify_member(a, b, search, check, index, [constant])
        if found is None or found.form != "mobius" or found.constant != constant:
            return None
        return tuple(found.coefficients)

    return extend


def _families(params: PCFClusterParams, formulas: list[dict]) -> list[dict]:
    """Families (engines.pcf.families), lengthened past the box, stated as formulas in k."""
    import sympy

    from mathdisco.engines.numerics.expressions import to_text
    from mathdisco.engines.numerics.identification import closed_form
    from mathdisco.engines.pcf.families import find_families

    width_a = params.a_degree + 1
    members, indices = [], []
    for f in formulas:
        if f["form"] != "mobius":
            continue
        a = list(f["a"]["polynomials"][0]) + [0] * (width_a - len(f["a"]["polynomials"][0]))
        b = list(f["b"]["polynomials"][0])
        b += [0] * (params.b_degree + 1 - len(b))
        members.append((tuple(a + b), f["constant"], tuple(f["relation"]["coefficients"])))
        indices.append(f["index"])
    k, n = sympy.Symbol("k"), sympy.Symbol("n")
    out = []
    for family in find_families(members, _extender(params)):
        base, step = family["base"], family["direction"]
        constant = CONSTANTS[family["constant"]].sympy_form
        a_k = sympy.expand(sum((base[i] + k * step[i]) * n**i for i in range(width_a)))
        b_k = sympy.expand(sum((base[width_a + i] + k * step[width_a + i]) * n**i
                               for i in range(params.b_degree + 1)))
        first = closed_form("mobius", family["relations"][0], [family["constant"]])
        if family["kind"] == "polynomial":
            c0, c1, c2, c3 = (sum(c * k**j for j, c in enumerate(p))
                              for p in family["relation_polynomials"])
            equals = sympy.factor(-(c2 + c3 * constant) / (c0 + c1 * constant))
            statement, latex_value = to_text(equals), sympy.latex(equals)
        else:
            t = [[sum(c * k**j for j, c in enumerate(entry)) for entry in row]
                 for row in family["recurrence"]]
            x = sympy.Symbol("L_k")
            step_map = (t[0][0] * x + t[0][1]) / (t[1][0] * x + t[1][1])
            statement = (f"L_k with L_0 = {to_text(first)} and L_(k+1) = "
                         f"{sympy.sstr(step_map)}")
            latex_value = (rf"L_k,\ L_0 = {sympy.latex(first)},\ L_{{k+1}} = "
                           rf"{sympy.latex(step_map)}")
        outside = f"; k in {family['outside']} lie outside the box" if family["outside"] else ""
        text = (f"PCF[a(n) = {sympy.sstr(a_k)}, b(n) = {sympy.sstr(b_k)}] = {statement}, for k = "
                f"{family['points'][0]}..{family['points'][-1]} (fitted on k in {family['fitted_on']},"
                f" checked on k in {family['checked_on']}{outside})")
        latex = (rf"\mathrm{{PCF}}\left[{sympy.latex(a_k)},\ {sympy.latex(b_k)}\right] = "
                 f"{latex_value}")
        out.append({"constant": family["constant"], "kind": family["kind"],
                    "a": {"base": base[:width_a], "step": step[:width_a]},
                    "b": {"base": base[width_a:], "step": step[width_a:]},
                    "k_values": family["points"],
                    "members": [None if p is None else indices[p] for p in family["member_positions"]],
                    "outside": family["outside"], "relations": family["relations"],
                    "relation_polynomials": family["relation_polynomials"],
                    "recurrence": family["recurrence"],
                    "fitted_on": family["fitted_on"], "checked_on": family["checked_on"],
                    "equals": statement, "text": text, "latex": latex})
    return out


def discoveries(params: PCFClusterParams, result: PCFClusterResult) -> list[Discovery]:
    """One discovery per catalogue class and one per hypothesis.

    A catalogue class states its simplest member, the class listed as evidence;
    classes whose limit is only a hypergeometric closed form are instances of a
    theorem, not discoveries, and stay in the result alone.  A hypothesis is an
    unknown constant: its statement is the representative PCF (the id's
    fingerprint), so two jobs that find it from the same simplest PCF share it.
    """
    listed = result.identified if result.identified is not None else result.named_formulas
    by_index = {f.index: f for f in listed or []}
    out = []
    for entry in result.catalogue or []:
        formula = by_index.get(entry.representative)
        if formula is None or formula.form == "hypergeometric":
            continue
        out.append(Discovery(
            target=entry.constant, text=formula.text, latex=formula.latex,
            statement=formula_statement(formula.equals, QuasiPolynomial.from_json(formula.a.model_dump()),
                                        QuasiPolynomial.from_json(formula.b.model_dump())),
            evidence={"verified_digits": formula.verified_digits,
                      "found_digits": formula.evidence["found_digits"],
                      "finder": formula.evidence["finder"],
                      "search": formula.evidence["search"], "check": formula.evidence["check"],
                      "equivalent_pcfs": [m.model_dump(mode="json", exclude_unset=True)
                                          for m in entry.members[1:]],
                      "class_size": entry.size, "canonical_form": entry.canonical,
                      "proof": formula.proof.model_dump() if formula.proof else None}))
    for hypothesis in result.hypotheses or []:
        out.append(hypothesis_discovery(hypothesis))
    return out


def hypothesis_discovery(hypothesis: Hypothesis) -> Discovery:
    """The discovery of one hypothesis (an unknown constant and its PCFs)."""
    from mathdisco.engines.discoveries import hypothesis_statement
    from mathdisco.engines.numerics.formula import gcf_latex, gcf_text

    a = QuasiPolynomial.polynomial(hypothesis.representative["a"])
    b = QuasiPolynomial.polynomial(hypothesis.representative["b"])
    others = hypothesis.size - 1
    text = (f"Hypothesis {hypothesis.id}: the unknown constant L = {hypothesis.value[:40]}... "
            f"= {gcf_text(a, b)}; {a.text('a')}; {b.text('b')}; {others} other PCFs "
            f"({hypothesis.non_trivial} non-trivially) are integer Möbius transforms of L")
    latex = f"L = {gcf_latex(a, b)}, \\quad {a.latex('a')}, \\quad {b.latex('b')}"
    return Discovery(
        target=f"hypothesis {hypothesis.id}", text=text, latex=latex,
        statement=hypothesis_statement(hypothesis.representative["a"],
                                       hypothesis.representative["b"]),
        evidence={"value": hypothesis.value, "members": hypothesis.size,
                  "non_trivial": hypothesis.non_trivial,
                  "relations": [{"a": m.a, "b": m.b, "relation": m.relation,
                                 "trivial": m.trivial, "verified_digits": m.verified_digits}
                                for m in hypothesis.members[:CATALOGUE_LISTED]]})


#: seconds :func:`warm_up` takes on an empty numba cache (bench/time_limits.py --estimates)
COMPILE_S = 20.0


def warm_up() -> None:
    """Compile the kernels and build the tail index on a tiny box, once per worker process.

    The first job of a process otherwise pays both (the index alone is 4-6 s).
    """
    run(PCFClusterParams(a_degree=1, b_degree=1, coefficient_min=-1, coefficient_max=1, depth=200))


JOB_TYPES = [
    JobType("pcf_cluster", PCFClusterParams, run,
            "Enumerate polynomial continued fractions in a coefficient box, measure their "
            "convergence dynamics (irrationality measure δ, growth rates), identify every "
            "member's limit, cluster them and generalise the formulas into families "
            "(Shalyt et al., NeurIPS 2024).",
            result_model=PCFClusterResult, view=view, estimate=estimate,
            discoveries=discoveries, shards=shards, merge=merge,
            limits=TimeLimits(4 * 3600, 4 * 3600 + 300), warm_up=warm_up, compile_s=COMPILE_S,
            verification_fields=("depth", "search_dps", "check_dps", "max_depth")),
]
