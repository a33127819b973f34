// mathdisco dashboard: typeset LaTeX with KaTeX and draw charts with Chart.js,
// on page load and on every htmx swap (htmx.onLoad runs for both).
"use strict";
(function () {
  // Limits for LaTeX from results: no \href/\htmlData (trust off), bounded size and macro expansion.
  const KATEX_OPTS = { throwOnError: false, trust: false, maxSize: 20, maxExpand: 1000, displayMode: true };

  function renderMath(root) {
    if (!window.katex) return;
    root.querySelectorAll("[data-latex]").forEach(function (el) {
      if (el.dataset.rendered) return;
      try {
        katex.render(el.dataset.latex, el, Object.assign({}, KATEX_OPTS, { displayMode: !el.dataset.inline }));
        el.dataset.rendered = "1";
      } catch (err) {
        // keep the source visible; textContent escapes whatever the message contains
        el.textContent = el.dataset.latex;
        el.classList.add("latex-failed");
      }
    });
  }

  const charts = new Map();
  const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563", "#ca8a04"];

  // symlog: sign(v) * log10(1 + |v|), so outliers of any sign stay on the page beside the bulk
  function symlog(v) { return v === null ? null : Math.sign(v) * Math.log10(1 + Math.abs(v)); }
  function unsymlog(t) { return Math.sign(t) * (Math.pow(10, Math.abs(t)) - 1); }
  function shortNumber(v) {
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(0);
    return Number(v.toPrecision(3)).toString();
  }

  // One Chart.js scale from a declared axis (engines/results.py Axis).
  function scale(axis, isBar, logOn) {
    const out = { title: { display: true, text: axis.label }, ticks: {} };
    if (isBar) {
      out.type = "category";
    } else if ((axis.scale === "log") !== Boolean(logOn)) {  // the toggle flips the declared scale
      out.type = "logarithmic";
      out.ticks.callback = function (v) {
        const exponent = Math.log10(v);
        return Math.abs(exponent - Math.round(exponent)) < 1e-9 ? "1e" + Math.round(exponent) : "";
      };
    } else {
      out.type = "linear";
      if (axis.scale === "symlog") out.ticks.callback = function (v) { return shortNumber(unsymlog(v)); };
    }
    if (axis.integer && out.type === "linear") {
      out.ticks.precision = 0;
      out.ticks.stepSize = undefined;
      const previous = out.ticks.callback;
      out.ticks.callback = function (v) { return Number.isInteger(v) ? (previous ? previous(v) : v) : ""; };
    }
    const t = axis.scale === "symlog" ? symlog : function (v) { return v; };
    if (axis.min !== null && axis.min !== undefined) out.min = t(axis.min);
    if (axis.max !== null && axis.max !== undefined) out.max = t(axis.max);
    return out;
  }

  function build(spec, logOn) {
    const isBar = spec.kind === "bar";
    const tx = spec.x.scale === "symlog" ? symlog : function (v) { return v; };
    const ty = spec.y.scale === "symlog" ? symlog : function (v) { return v; };
    const datasets = spec.series.map(function (s, i) {
      const colour = s.muted ? "#9ca3af" : PALETTE[i % PALETTE.length];
      const style = s.style || (spec.kind === "line" ? "line" : spec.kind === "bar" ? "bars" : "points");
      if (isBar) return { label: s.label, data: s.y.map(ty), backgroundColor: colour };
      return {
        label: s.label,
        data: s.x.map(function (x, j) { return { x: tx(x), y: ty(s.y[j]) }; }),
        backgroundColor: colour, borderColor: colour,
        pointRadius: style === "points" ? (s.muted ? 2 : 3) : 1.5,
        showLine: style === "line",
      };
    });
    return {
      type: isBar ? "bar" : "scatter",
      data: isBar ? { labels: spec.series[0].x, datasets: datasets } : { datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: { x: scale(spec.x, isBar, false), y: scale(spec.y, false, logOn) },
        plugins: { legend: { display: spec.series.length > 1 } },
      },
    };
  }

  function drawCharts(root) {
    if (!window.Chart) return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      const source = document.getElementById(canvas.dataset.chart);
      if (!source || canvas.dataset.drawn) return;
      const spec = JSON.parse(source.textContent);
      charts.set(canvas, { chart: new Chart(canvas, build(spec, false)), spec: spec, logOn: false });
      canvas.dataset.drawn = "1";
    });
    root.querySelectorAll("button[data-chart-toggle]").forEach(function (button) {
      if (button.dataset.bound) return;
      button.dataset.bound = "1";
      button.addEventListener("click", function () {
        const canvas = document.getElementById(button.dataset.chartToggle);
        const entry = charts.get(canvas);
        if (!entry) return;
        entry.logOn = !entry.logOn;
        entry.chart.destroy();
        entry.chart = new Chart(canvas, build(entry.spec, entry.logOn));
        const isLog = (entry.spec.y.scale === "log") !== entry.logOn;
        button.textContent = isLog ? "linear scale" : "log scale";
        button.setAttribute("aria-pressed", entry.logOn ? "true" : "false");
      });
    });
  }

  function init(root) {
    renderMath(root);
    drawCharts(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (window.htmx) {
      htmx.onLoad(init);  // called with document.body first, then each swapped-in element
    } else {
      init(document.body);
    }
  });
})();
