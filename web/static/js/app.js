/* The dashboard's only script: draws the charts whose data a page carries as JSON
   (<script type="application/json">), with uPlot. Everything else is htmx attributes. */
(function () {
  "use strict";

  function completionChart(el, data) {
    var width = Math.max(el.clientWidth, 280);
    // Dates as the rest of the pages write them (YYYY-MM-DD, MM-DD on the axis), in UTC:
    // the server sends each diary date at noon UTC.
    function isoDate(t) { return t == null ? "–" : new Date(t * 1000).toISOString().slice(0, 10); }
    var opts = {
      width: width,
      height: 260,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
      scales: { x: { time: true }, y: { range: [0, 100] } },
      axes: [
        { values: function (u, ticks) { return ticks.map(function (t) { return isoDate(t).slice(5); }); } },
        { size: 56, values: function (u, ticks) { return ticks.map(function (t) { return t + " %"; }); } }
      ],
      series: [
        { label: el.dataset.xLabel || "Date", value: function (u, t) { return isoDate(t); } },
        { label: el.dataset.label || "%", stroke: "#0b5cad", width: 2, fill: "rgba(11,92,173,0.08)",
          spanGaps: false, points: { show: true, size: 5 } }
      ]
    };
    return new uPlot(opts, [data.x, data.y], el);
  }

  var CHARTS = { completion: completionChart };

  function drawCharts(root) {
    var nodes = (root || document).querySelectorAll("[data-chart]");
    nodes.forEach(function (el) {
      if (el.dataset.drawn) { return; }
      var source = document.getElementById(el.dataset.source);
      var draw = CHARTS[el.dataset.chart];
      if (!source || !draw || typeof uPlot === "undefined") { return; }
      var plot = draw(el, JSON.parse(source.textContent));
      el.dataset.drawn = "1";
      window.addEventListener("resize", function () {
        plot.setSize({ width: Math.max(el.clientWidth, 280), height: plot.height });
      });
    });
  }

  // Charts can be added by other pages: window.paindiaryCharts.name = function (el, data) {...}
  window.paindiaryCharts = CHARTS;
  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSettle", function (e) { drawCharts(e.target); });
}());
