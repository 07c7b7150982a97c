/* The participant page's daily pain curve (uPlot): scores by diary date, staff-entered
   days as squares, and each anchor event (day 0) as a dashed vertical line with its name.
   Registered with the dashboard's chart loader (app.js): window.paindiaryCharts.pain. */
(function () {
  "use strict";

  function anchorLines(anchors) {
    return {
      hooks: {
        draw: [function (u) {
          var ctx = u.ctx;
          ctx.save();
          ctx.font = (12 * devicePixelRatio) + "px system-ui, sans-serif";
          anchors.forEach(function (a) {
            var x = Math.round(u.valToPos(a.x, "x", true));
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) { return; }
            ctx.strokeStyle = a.status === "planned" ? "#9a6700" : "#b42318";
            ctx.fillStyle = ctx.strokeStyle;
            ctx.lineWidth = 2 * devicePixelRatio;
            ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.fillText(a.label, x + 4 * devicePixelRatio, u.bbox.top + 14 * devicePixelRatio);
          });
          ctx.restore();
        }]
      }
    };
  }

  // Days at noon UTC (the page sends them so): ISO dates read the same in every zone.
  function isoDate(t) { return t == null ? "–" : new Date(t * 1000).toISOString().slice(0, 10); }

  function painChart(el, data) {
    var width = Math.max(el.clientWidth, 280);
    var staffOnly = data.y.map(function (y, i) { return data.staff[i] ? y : null; });
    var opts = {
      width: width,
      height: 280,
      scales: {
        x: { time: true, range: data.range ? function () { return data.range; } : undefined },
        y: { range: [0, 10] }
      },
      axes: [
        { values: function (u, ticks) { return ticks.map(function (t) { return isoDate(t).slice(5); }); } },
        { label: el.dataset.label || "", splits: function () { return [0, 2, 4, 6, 8, 10]; } }
      ],
      series: [
        { label: el.dataset.xLabel || "Date", value: function (u, t) { return isoDate(t); } },
        { label: el.dataset.label || "pain", stroke: "#0b5cad", width: 2, spanGaps: false,
          points: { show: true, size: 6 } },
        { label: el.dataset.staffLabel || "staff", stroke: "#1a7f37", width: 0, paths: function () { return null; },
          points: { show: true, size: 9, fill: "#1a7f37" } }
      ],
      plugins: [anchorLines(data.anchors || [])]
    };
    el.dataset.points = String(data.x.length);
    el.dataset.anchors = String((data.anchors || []).length);
    return new uPlot(opts, [data.x, data.y, staffOnly], el);
  }

  window.paindiaryCharts = window.paindiaryCharts || {};
  window.paindiaryCharts.pain = painChart;
}());
