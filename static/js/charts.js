// Draws every [data-chart] element with Plotly. The Plotly bundle (its "basic" build, 1.2 MB)
// is fetched only when a page holds a chart, from our own origin (the Content-Security-Policy
// allows no other).
(function () {
  "use strict";
  var PLOTLY_SRC = document.currentScript.dataset.plotlySrc;
  var loading = null;

  function loadPlotly() {
    if (window.Plotly) { return Promise.resolve(); }
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = PLOTLY_SRC;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  function draw(root) {
    var pending = root.querySelectorAll("[data-chart]:not([data-drawn])");
    if (!pending.length) { return; }
    loadPlotly().then(function () {
      pending.forEach(function (element) {
        var spec = JSON.parse(document.getElementById(element.dataset.chart).textContent);
        window.Plotly.newPlot(element, spec.data, spec.layout, {
          responsive: true,
          displaylogo: false,
          modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
        });
        element.setAttribute("data-drawn", "");
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
})();
