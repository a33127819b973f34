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

  function drawCharts(root) {
    if (!window.Chart) return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      const source = document.getElementById(canvas.dataset.chart);
      if (!source || canvas.dataset.drawn) return;
      const spec = JSON.parse(source.textContent);
      const palette = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563"];
      const datasets = spec.series.map(function (s, i) {
        return {
          label: s.label,
          data: s.x.map(function (x, j) { return { x: x, y: s.y[j] }; }),
          backgroundColor: palette[i % palette.length],
          borderColor: palette[i % palette.length],
          pointRadius: spec.type === "scatter" ? 4 : 2,
          showLine: spec.type === "line",
        };
      });
      const chart = new Chart(canvas, {
        type: spec.type === "bar" ? "bar" : "scatter",
        data: spec.type === "bar"
          ? { labels: spec.series[0].x, datasets: [{ label: spec.series[0].label, data: spec.series[0].y, backgroundColor: palette[0] }] }
          : { datasets: datasets },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          scales: {
            x: { type: spec.type === "bar" ? "category" : "linear", title: { display: true, text: spec.x_label } },
            y: { type: spec.y_log ? "logarithmic" : "linear", title: { display: true, text: spec.y_label } },
          },
          plugins: { legend: { display: spec.series.length > 1 } },
        },
      });
      canvas.dataset.drawn = "1";
      charts.set(canvas, chart);
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
