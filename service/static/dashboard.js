// mathdisco dashboard: typeset LaTeX with KaTeX and draw charts with Chart.js,
// on page load and on every htmx swap (htmx.onLoad runs for both).
"use strict";
(function () {
  // Limits for LaTeX from results: no \href/\htmlData (trust off), bounded size and macro expansion.
  const KATEX_OPTS = { throwOnError: false, trust: false, maxSize: 20, maxExpand: 1000, displayMode: true };

  // A statement's top-level "\quad" separators (outside braces, environments and \left..\right)
  // split it into parts ("x = cfrac...", "a_n = ...", "b_n = ...") that wrap as boxes.
  function splitStatement(latex) {
    const parts = [];
    let depth = 0, start = 0;
    for (let i = 0; i < latex.length; i++) {
      const c = latex[i];
      if (c === "{") depth++;
      else if (c === "}") depth--;
      else if (c === "\\") {
        const name = /^\\([a-zA-Z]+)/.exec(latex.slice(i));
        if (!name) { i++; continue; }
        const word = name[1];
        if (word === "begin" || word === "left") depth++;
        else if (word === "end" || word === "right") depth--;
        else if (word === "quad" && depth === 0) {
          parts.push(latex.slice(start, i));
          start = i + name[0].length;
        }
        i += name[0].length - 1;
      }
    }
    parts.push(latex.slice(start));
    return parts.map(function (p) { return p.trim(); }).filter(function (p) { return p; });
  }

  function renderMath(root) {
    if (!window.katex) return;
    root.querySelectorAll("[data-latex]").forEach(function (el) {
      if (el.dataset.rendered) return;
      const latex = el.dataset.latex;
      const parts = el.dataset.inline ? [latex] : splitStatement(latex);
      try {
        if (parts.length > 1) {
          const box = document.createElement("div");
          box.className = "math-parts";
          parts.forEach(function (part) {
            const span = document.createElement("span");
            span.className = "math-part";
            katex.render("\\displaystyle " + part, span, Object.assign({}, KATEX_OPTS, { displayMode: false }));
            box.appendChild(span);
          });
          el.replaceChildren(box);
        } else {
          katex.render(latex, el, Object.assign({}, KATEX_OPTS, { displayMode: !el.dataset.inline }));
        }
        el.dataset.rendered = "1";
      } catch (err) {
        // keep the source visible; textContent escapes whatever the message contains
        el.textContent = latex;
        el.classList.add("latex-failed");
      }
    });
  }

  const charts = new Map();
  // 20 colours told apart by hue and lightness (no grey: grey is for muted series); past 20
  // coloured series, the rest share one colour and one legend entry that names them
  const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04",
    "#db2777", "#111827", "#84cc16", "#1e3a8a", "#7f1d1d", "#0f766e", "#a78bfa", "#fb7185",
    "#78350f", "#22d3ee", "#facc15", "#4ade80", "#c026d3"];
  const MERGED_COLOUR = "#475569";
  const MUTED_COLOUR = "#9ca3af";

  // symlog: sign(v) * log10(1 + |v|), so outliers of any sign stay on the page beside the bulk
  function symlog(v) { return v === null ? null : Math.sign(v) * Math.log10(1 + Math.abs(v)); }
  function unsymlog(t) { return Math.sign(t) * (Math.pow(10, Math.abs(t)) - 1); }
  function shortNumber(v) {
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(0);
    return Number(v.toPrecision(3)).toString();
  }

  // Log-axis labels readable at any span: powers of ten over many decades, 1-2-5 over a few,
  // every tick when the data span less than about a decade (else there may be no label at all).
  function logTick(v, index, ticks) {
    const values = ticks.map(function (t) { return t.value; }).filter(function (t) { return t > 0; });
    const decades = Math.log10(Math.max.apply(null, values) / Math.min.apply(null, values));
    const exponent = Math.log10(v);
    const mantissa = Number((v / Math.pow(10, Math.floor(exponent + 1e-9))).toPrecision(6));
    if (decades < 1.3) return shortNumber(v);
    if (decades <= 3) return [1, 2, 5].indexOf(mantissa) >= 0 ? shortNumber(v) : "";
    return Math.abs(exponent - Math.round(exponent)) < 1e-9 ? "1e" + Math.round(exponent) : "";
  }

  // One Chart.js scale from a declared axis (engines/results.py Axis).
  function scale(axis, isBar, logOn) {
    const out = { title: { display: true, text: axis.label }, ticks: {} };
    if (isBar) {
      out.type = "category";
    } else if ((axis.scale === "log") !== Boolean(logOn)) {  // the toggle flips the declared scale
      out.type = "logarithmic";
      out.ticks.callback = logTick;
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

  // The declared series as Chart.js datasets.  Painter's order: muted series at the bottom,
  // then the rest as declared, later ones on top; an `emphasis` series (a selected model) is
  // drawn last, larger, outlined and unclipped, so a point on the plot's border stays visible.
  function datasets(spec, tx, ty) {
    const isBar = spec.kind === "bar";
    const coloured = spec.series.filter(function (s) { return !s.muted && !s.emphasis; });
    const merged = coloured.length > PALETTE.length ? coloured.slice(PALETTE.length - 1) : [];
    const out = [];
    let slot = 0;
    let mergedSet = null;
    spec.series.forEach(function (s, i) {
      const style = s.style || (spec.kind === "line" ? "line" : isBar ? "bars" : "points");
      let colour;
      if (s.muted) colour = MUTED_COLOUR;
      else if (merged.indexOf(s) >= 0) colour = MERGED_COLOUR;
      else colour = PALETTE[slot++ % PALETTE.length];
      const order = s.emphasis ? 0 : s.muted ? 3 * spec.series.length : 2 * spec.series.length - i;
      if (isBar) {
        out.push({ label: s.label, data: s.y.map(ty), backgroundColor: colour, order: order });
        return;
      }
      const points = s.x.map(function (x, j) { return { x: tx(x), y: ty(s.y[j]) }; });
      if (merged.indexOf(s) >= 0) {  // one dataset, one legend entry for every merged series
        if (!mergedSet) {
          const names = merged.map(function (m) { return m.label; }).join(", ");
          mergedSet = {
            label: merged.length + " more series in one colour: " +
              (names.length > 90 ? names.slice(0, 89) + "…" : names),
            data: [], backgroundColor: colour, borderColor: colour, pointRadius: 4,
            pointStyle: "triangle",
            showLine: false, order: order, mergedLabels: merged.map(function (m) { return m.label; }),
          };
          out.push(mergedSet);
        }
        mergedSet.data = mergedSet.data.concat(points);
        return;
      }
      const dataset = {
        label: s.label, data: points, backgroundColor: colour, borderColor: colour, order: order,
        pointRadius: style === "points" ? (s.muted ? 2 : 3) : 1.5, showLine: style === "line",
      };
      if (s.emphasis) {
        Object.assign(dataset, { pointRadius: 7, pointHoverRadius: 9, pointStyle: "rectRot",
          pointBorderColor: "#111827", pointBorderWidth: 2, clip: false });
      }
      out.push(dataset);
    });
    return out;
  }

  function build(spec, logOn) {
    const isBar = spec.kind === "bar";
    const tx = spec.x.scale === "symlog" ? symlog : function (v) { return v; };
    const ty = spec.y.scale === "symlog" ? symlog : function (v) { return v; };
    const sets = datasets(spec, tx, ty);
    const labels = isBar ? (spec.x.categories || spec.series[0].x) : null;
    const xScale = scale(spec.x, isBar, false);
    if (isBar && spec.x.categories) xScale.ticks.autoSkip = false;  // every bar keeps its name
    return {
      type: isBar ? "bar" : "scatter",
      data: isBar ? { labels: labels, datasets: sets } : { datasets: sets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: { x: xScale, y: scale(spec.y, false, logOn) },
        plugins: { legend: { display: spec.series.length > 1, labels: {
          usePointStyle: !isBar,  // the merged series' triangles, the selected model's diamond
          sort: function (a, b) { return a.datasetIndex - b.datasetIndex; },  // as declared
        } } },
      },
    };
  }

  // Beside the canvas, in words: which series share the merged colour (a legend entry is short).
  function describeMerged(canvas, config) {
    const merged = config.data.datasets.filter(function (d) { return d.mergedLabels; })[0];
    const figure = canvas.closest("figure");
    if (!merged || !figure || figure.querySelector(".chart-merged")) return;
    const note = document.createElement("p");
    note.className = "hint chart-merged";
    note.textContent = "Drawn as slate-grey triangles (more series than distinct colours): " +
      merged.mergedLabels.join(", ") + ".";
    figure.appendChild(note);
  }

  function drawCharts(root) {
    if (!window.Chart) return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      const source = document.getElementById(canvas.dataset.chart);
      if (!source || canvas.dataset.drawn) return;
      const spec = JSON.parse(source.textContent);
      const config = build(spec, false);
      charts.set(canvas, { chart: new Chart(canvas, config), spec: spec, logOn: false });
      describeMerged(canvas, config);
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
