"""The ``psi_intersections`` job: a DRA transformer learns log ψ-class intersection numbers.

Protocol (Hashemi, Corominas, Giacchetto, "Can Transformers Do Enumerative
Geometry?", ICLR 2025, §4, in miniature):

1. every nonzero ⟨τ_{d_1}…τ_{d_n}⟩_g with χ = 2g − 2 + n ≤ ``chi_max`` is
   computed exactly (:mod:`mathdisco.engines.neural.psi_exact`);
2. a permutation-invariant transformer (each d_i a token, no positions; (g, n)
   as a global embedding; DRA activations) is trained on genus ≤
   ``train_genus_max`` with an L1 loss on the natural log, by default on the
   *residual* over Aggarwal's large-genus asymptotic
   ⟨τ_d⟩_g ≈ (6g−5+2n)!!/(24^g g! ∏(2d_i+1)!!);
3. it is tested on the unseen higher genera, against the asymptotic formula
   alone (the no-learning baseline, always reported);
4. split-conformal intervals (score |ln ŷ − ln y|, quantile in a sliding
   window over n, as in the paper's §4.3) are calibrated on held-out entries
   of the training genera and their coverage is measured on both test sets.
   The guarantee holds in distribution only: on unseen genera the errors are
   larger than on the calibration set and the measured coverage is lower
   (reported, not hidden; see docs/benchmarks.md).

Tokens are described by features of d (d, ln (2d+1)!!, d/dim, d ∈ {0, 1})
rather than a learned embedding per value, so values of d never seen in
training (they grow with genus) still get a meaningful input.
"""

from __future__ import annotations

import math

import numpy as np

from mathdisco.engines.contract import Progress, no_progress
from mathdisco.engines.neural.dra import activation
from mathdisco.engines.neural.params import PsiRegressionParams
from mathdisco.engines.neural.psi_exact import all_entries, intersection_number, log_asymptotic
from mathdisco.engines.neural.training import (
    Ticker,
    TimeBudget,
    optimiser_step,
    rounded,
    setup_torch,
)

LN10 = math.log(10.0)


# ---------------------------------------------------------------- data

TOKEN_FEATURES = 5
GLOBAL_FEATURES = 4


def _log_double_factorial_odd(k: int) -> float:
    return math.lgamma(k + 1) - ((k - 1) // 2) * math.log(2) - math.lgamma((k - 1) // 2 + 1)


def build_dataset(chi_max: int) -> dict:
    """Every nonzero entry up to ``chi_max`` with exact value, ln value and ln asymptotic."""
    genus, ds_list, exact, ln_value, ln_asym = [], [], [], [], []
    for g, ds in all_entries(chi_max):
        value = intersection_number(g, ds)
        if not value:
            continue
        genus.append(g)
        ds_list.append(ds)
        exact.append(value)
        ln_value.append(math.log(value.numerator) - math.log(value.denominator))
        ln_asym.append(log_asymptotic(g, ds))
    return {"genus": np.array(genus), "insertions": ds_list, "exact": exact,
            "ln_value": np.array(ln_value), "ln_asymptotic": np.array(ln_asym)}


def featurise(genus: np.ndarray, insertions: list[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Token features [N, n_max, F], padding mask [N, n_max] (True = pad), global features [N, G]."""
    n_max = max(len(ds) for ds in insertions)
    tokens = np.zeros((len(insertions), n_max, TOKEN_FEATURES), dtype=np.float32)
    pad = np.ones((len(insertions), n_max), dtype=bool)
    glob = np.zeros((len(insertions), GLOBAL_FEATURES), dtype=np.float32)
    for i, (g, ds) in enumerate(zip(genus, insertions, strict=True)):
        n = len(ds)
        dim = 3 * g - 3 + n
        for j, d in enumerate(ds):
            tokens[i, j] = (d / 10.0, _log_double_factorial_odd(2 * d + 1) / 30.0,
                            d / dim if dim else 0.0, float(d == 0), float(d == 1))
        pad[i, :n] = False
        glob[i] = (g / 5.0, n / 10.0, (2 * g - 2 + n) / 10.0, math.log(g + 1))
    return tokens, pad, glob


def split_indices(genus: np.ndarray, params: PsiRegressionParams, rng: np.random.Generator) -> dict:
    """Index arrays: train, calibration, id_test, ood_test."""
    top = int(genus.max())
    test_genera = params.test_genera or list(range(params.train_genus_max + 1, top + 1))
    in_dist = np.flatnonzero(genus <= params.train_genus_max)
    ood = np.flatnonzero(np.isin(genus, test_genera))
    shuffled = rng.permutation(in_dist)
    n_hold = max(2, int(round(params.holdout_fraction * len(in_dist))))
    held, train = shuffled[:n_hold], shuffled[n_hold:]
    if params.calibration == "top_genus":
        top_train = held[genus[held] == params.train_genus_max]
        calibration = top_train[: max(1, len(top_train) // 2)]
    else:
        calibration = held[: n_hold // 2]
    id_test = np.setdiff1d(held, calibration)
    return {"train": np.sort(train), "calibration": np.sort(calibration),
            "id_test": np.sort(id_test), "ood_test": np.sort(ood), "test_genera": test_genera}


# ---------------------------------------------------------------- model

def build_model(torch, params: PsiRegressionParams):
    """The set transformer: token MLP + (g, n) embedding, encoder, mean+max pooling, head."""
    from torch import nn

    width = params.d_model

    class PsiTransformer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.token_in = nn.Sequential(nn.Linear(TOKEN_FEATURES, width), activation(params.activation),
                                          nn.Linear(width, width))
            self.global_in = nn.Sequential(nn.Linear(GLOBAL_FEATURES, width), activation(params.activation),
                                           nn.Linear(width, width))
            layer = nn.TransformerEncoderLayer(
                width, params.heads, dim_feedforward=2 * width, dropout=0.0,
                activation=activation(params.activation), batch_first=True, norm_first=True)
            self.encoder = nn.TransformerEncoder(layer, params.layers, enable_nested_tensor=False)
            self.head = nn.Sequential(nn.Linear(3 * width, width), activation(params.activation),
                                      nn.Linear(width, 1))

        def forward(self, tokens, pad, glob):
            g = self.global_in(glob)
            h = self.token_in(tokens) + g[:, None, :]
            h = self.encoder(h, src_key_padding_mask=pad)
            keep = (~pad).unsqueeze(-1).to(h.dtype)
            mean = (h * keep).sum(1) / keep.sum(1)
            maxed = h.masked_fill(pad.unsqueeze(-1), -1e9).max(1).values
            return self.head(torch.cat([mean, maxed, g], dim=-1)).squeeze(-1)

    return PsiTransformer()


# ---------------------------------------------------------------- metrics

def regression_metrics(pred_ln: np.ndarray, true_ln: np.ndarray) -> dict:
    """MAE of log10, relative-error hit rates and R² on log10 (beware: R² is flattered by the range)."""
    if len(true_ln) == 0:
        return {"count": 0}
    err = pred_ln - true_ln
    rel = np.abs(np.expm1(err))
    t10 = true_ln / LN10
    ss_tot = float(np.sum((t10 - t10.mean()) ** 2))
    return {
        "count": int(len(true_ln)),
        "mae_log10": float(np.mean(np.abs(err)) / LN10),
        "max_abs_log10": float(np.max(np.abs(err)) / LN10),
        "within_1pct": float(np.mean(rel <= 0.01)),
        "within_10pct": float(np.mean(rel <= 0.10)),
        "r2_log10": float(1 - np.sum((err / LN10) ** 2) / ss_tot) if ss_tot > 0 else None,
    }


def windowed_quantiles(cal_n: np.ndarray, cal_scores: np.ndarray, query_n: np.ndarray,
                       alpha: float, window: int, min_points: int = 20) -> np.ndarray:
    """Split-conformal radius per query, from calibration scores with |n_cal − n| ≤ window.

    The window widens until it holds ``min_points`` scores; the quantile is the
    ⌈(m+1)(1−α)⌉-th smallest of the m scores (infinite when m is too small).
    """
    radii = np.empty(len(query_n))
    cache: dict[int, float] = {}
    for i, n in enumerate(query_n):
        n = int(n)
        if n not in cache:
            w = window
            chosen = cal_scores[np.abs(cal_n - n) <= w]
            while len(chosen) < min_points and w < 64:
                w += 1
                chosen = cal_scores[np.abs(cal_n - n) <= w]
            m = len(chosen)
            rank = math.ceil((m + 1) * (1 - alpha))
            cache[n] = float(np.sort(chosen)[rank - 1]) if 0 < rank <= m else math.inf
        radii[i] = cache[n]
    return radii


# ---------------------------------------------------------------- job

def run_psi_intersections(params: PsiRegressionParams, progress: Progress = no_progress) -> dict:
    """Train and evaluate the model; see the module docstring.

    ``time_limit_s`` bounds the whole job (:class:`TimeBudget`, started before
    torch is imported): training stops between two batches when the training
    time is spent, and the result says so (``stopped_by_time_limit``).
    """
    budget = TimeBudget(params.time_limit_s)
    progress(0, params.epochs, "starting torch")
    torch, device = setup_torch(params.seed, params.max_threads, params.device)
    progress(0, params.epochs, "computing exact intersection numbers")
    data = build_dataset(params.chi_max)
    genus = data["genus"]
    n_of = np.array([len(ds) for ds in data["insertions"]])
    rng = np.random.default_rng(params.seed)
    split = split_indices(genus, params, rng)
    tokens, pad, glob = featurise(genus, data["insertions"])
    offset = data["ln_asymptotic"] if params.target == "residual_asymptotic" else np.zeros(len(genus))
    target = data["ln_value"] - offset

    def tensors(idx):
        return (torch.tensor(tokens[idx], device=device), torch.tensor(pad[idx], device=device),
                torch.tensor(glob[idx], device=device))

    model = build_model(torch, params).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=params.lr)
    train_idx = split["train"]
    steps_per_epoch = math.ceil(len(train_idx) / params.batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, params.epochs * steps_per_epoch)
    train_x = tensors(train_idx)
    train_y = torch.tensor(target[train_idx], dtype=torch.float32, device=device)
    val_idx = split["id_test"]
    val_x = tensors(val_idx)
    val_y = torch.tensor(target[val_idx], dtype=torch.float32, device=device)
    generator = torch.Generator().manual_seed(params.seed)
    ticker = Ticker(progress, params.epochs)
    loss_history, val_history = [], []
    train_start = budget.elapsed()
    for epoch in range(params.epochs):
        if budget.training_over():
            break
        model.train()
        order = torch.randperm(len(train_idx), generator=generator).to(device)
        total = 0.0
        for start in range(0, len(train_idx), params.batch_size):
            if budget.training_over():  # an unfinished epoch is not recorded
                break
            batch = order[start:start + params.batch_size]
            prediction = model(*(t[batch] for t in train_x))
            loss = torch.nn.functional.l1_loss(prediction, train_y[batch])
            total += optimiser_step(optimiser, schedule, loss, model.parameters(), 10.0) * len(batch)
            ticker(epoch, f"epoch {epoch + 1}/{params.epochs}")
        if budget.stopped_training:
            break
        loss_history.append(total / len(train_idx))
        model.eval()
        with torch.no_grad():
            val_history.append(float(torch.nn.functional.l1_loss(model(*val_x), val_y)))
        ticker(epoch + 1, f"epoch {epoch + 1}/{params.epochs}: train L1 {loss_history[-1]:.4g}, "
                          f"ID L1 {val_history[-1]:.4g}", force=True)
    stopped_early = len(loss_history) < params.epochs
    train_seconds = budget.elapsed() - train_start

    model.eval()
    with torch.no_grad():
        every = tensors(np.arange(len(genus)))
        pred = np.concatenate([
            model(*(t[i:i + 2048] for t in every)).cpu().numpy().astype(np.float64)
            for i in range(0, len(genus), 2048)
        ]) + offset
    truth = data["ln_value"]
    baseline = data["ln_asymptotic"]

    metrics, baseline_metrics = {}, {}
    for name in ("train", "id_test", "ood_test"):
        idx = split[name]
        metrics[name] = regression_metrics(pred[idx], truth[idx])
        baseline_metrics[name] = regression_metrics(baseline[idx], truth[idx])
    per_genus = {}
    for g in split["test_genera"]:
        idx = np.flatnonzero(genus == g)
        per_genus[str(g)] = {"model": regression_metrics(pred[idx], truth[idx]),
                             "asymptotic": regression_metrics(baseline[idx], truth[idx])}

    cal = split["calibration"]
    scores = np.abs(pred[cal] - truth[cal])
    conformal = {"alpha": params.conformal_alpha, "calibration": params.calibration,
                 "calibration_size": int(len(cal)), "window": params.conformal_window}
    for name in ("id_test", "ood_test"):
        idx = split[name]
        radius = windowed_quantiles(n_of[cal], scores, n_of[idx], params.conformal_alpha,
                                    params.conformal_window)
        covered = np.abs(pred[idx] - truth[idx]) <= radius
        finite = np.isfinite(radius)
        conformal[name] = {
            "coverage": float(np.mean(covered)) if len(idx) else None,
            "mean_width_log10": float(np.mean(2 * radius[finite]) / LN10) if finite.any() else None,
            "coverage_by_n": {str(int(n)): float(np.mean(covered[n_of[idx] == n]))
                              for n in np.unique(n_of[idx])},
        }

    ood = split["ood_test"]
    ood_err = np.abs(pred[ood] - truth[ood])
    worst = ood[np.argsort(-ood_err)[: params.n_examples]]
    sample = rng.choice(ood, size=min(params.n_examples, len(ood)), replace=False) if len(ood) else []
    model_mae = metrics["ood_test"].get("mae_log10")
    base_mae = baseline_metrics["ood_test"].get("mae_log10")
    beats = model_mae is not None and base_mae is not None and model_mae < base_mae
    run = len(loss_history)  # the last call counts what was done, so "finished" and the counts agree
    progress(run, run, f"done: the time limit stopped training after {run} epochs (of {params.epochs})"
             if stopped_early else f"done: {params.epochs} epochs")
    return {
        "data": {"chi_max": params.chi_max, "entries": int(len(genus)),
                 "train_genus_max": params.train_genus_max, "test_genera": split["test_genera"],
                 "sizes": {k: int(len(split[k])) for k in ("train", "calibration", "id_test", "ood_test")},
                 "labels": "exact rationals from the DVV recursion (engines.neural.psi_exact)"},
        "model": {"architecture": "set transformer (d_i tokens, (g,n) embedding, mean+max pooling)",
                  "activation": params.activation, "target": params.target,
                  "d_model": params.d_model, "layers": params.layers, "heads": params.heads,
                  "parameters": int(sum(p.numel() for p in model.parameters()))},
        "metrics": metrics,
        "baseline": {"name": "Aggarwal large-genus asymptotic (6g-5+2n)!!/(24^g g! prod (2d_i+1)!!)",
                     "metrics": baseline_metrics},
        "per_genus": per_genus,
        "beats_baseline": bool(beats),
        "verdict": (f"model OOD MAE log10 {model_mae:.4g} vs asymptotic {base_mae:.4g}: "
                    + (f"{base_mae / model_mae:.1f}x lower" if beats else "the model does NOT beat the baseline")),
        "conformal": conformal,
        "loss_history": rounded(loss_history),
        "val_history": rounded(val_history),
        "loss": "L1 on ln(value)" + (" - ln(asymptotic)" if params.target == "residual_asymptotic" else ""),
        "epochs_run": len(loss_history),
        "stopped_early": stopped_early,
        "stopped_by_time_limit": budget.stopped_training,
        "limited": budget.limited(len(loss_history), params.epochs, "epochs"),
        "time_limit_s": params.time_limit_s,
        "train_seconds": round(train_seconds, 2),
        "elapsed_s": round(budget.elapsed(), 2),
        "device": str(device),
        "predictions": [_example(data, pred, i) for i in sample],
        "worst_ood": [_example(data, pred, i) for i in worst],
    }


def _example(data: dict, pred: np.ndarray, i: int) -> dict:
    i = int(i)
    truth = data["ln_value"][i]
    return {"genus": int(data["genus"][i]), "insertions": list(data["insertions"][i]),
            "exact": str(data["exact"][i]), "value": float(math.exp(truth)),
            "predicted": float(math.exp(pred[i])), "asymptotic": float(math.exp(data["ln_asymptotic"][i])),
            "relative_error": float(abs(math.expm1(pred[i] - truth)))}
