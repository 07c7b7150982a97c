/* The History view: the participant's own daily pain over the last six weeks (uPlot,
   the dashboard's vendored copy), with the same values as a table for screen readers. */
(function () {
  "use strict";
  var P = window.PainApp = window.PainApp || {};
  var el = function () { return P.forms.el.apply(null, arguments); };
  var t = function (k, p) { return P.t(k, p); };
  var DAYS = 42;

  function noon(iso) { return Date.parse(iso + "T12:00:00Z") / 1000; }

  function chart(holder, points, first, last) {
    var width = Math.max(document.getElementById("main").clientWidth - 40, 260);
    var opts = {
      width: width, height: 240, legend: {show: false}, padding: [12, 24, 0, 0],
      scales: {x: {time: true, range: function () { return [noon(first), noon(last)]; }},
               y: {range: [0, 10]}},
      axes: [
        {values: function (u, ticks) {
          return ticks.map(function (s) {
            return P.i18n.formatDate(new Date(s * 1000).toISOString().slice(0, 10), "short");
          });
        }, stroke: "#1f2937"},
        {splits: function () { return [0, 2, 4, 6, 8, 10]; }, stroke: "#1f2937"}
      ],
      series: [{}, {stroke: "#0b5cad", width: 2, spanGaps: false, points: {show: true, size: 7}}]
    };
    return new window.uPlot(opts, [points.map(function (p) { return noon(p.diary_date); }),
                                   points.map(function (p) { return p.score; })], holder);
  }

  function render(main) {
    return Promise.all([P.api.read("/me/diary-entries?current_only=true&page_size=100"),
                        P.api.read(P.api.withLang("/me/tasks"))]).then(function (both) {
      var r = both[0];
      var tasks = both[1].body;
      main.innerHTML = "";
      main.appendChild(el("h2", {class: "page-title"}, t("history.title")));
      if (!r.body) { main.appendChild(P.forms.notice("info", t("history.offline"))); return; }
      // The study's today in the participant's zone (/me/tasks, or its last copy)
      var today = tasks ? tasks.today : P.forms.localInstant().slice(0, 10);
      var items = r.body.items.slice().sort(function (a, b) {
        return a.diary_date < b.diary_date ? -1 : 1;
      });
      var points = items.filter(function (e) { return e.diary_date >= P.forms.addDays(today, -DAYS); });
      // From the first score shown (at least two weeks), so a new diary is not squeezed.
      var first = points.length ? P.forms.addDays(points[0].diary_date, -1) : today;
      if (first > P.forms.addDays(today, -14)) { first = P.forms.addDays(today, -14); }
      if (!points.length) { main.appendChild(el("p", {}, t("history.empty"))); return; }
      var figure = el("figure", {class: "card"});
      var holder = el("div", {class: "chart", role: "img", "aria-label": t("history.chart")});
      figure.appendChild(holder);
      figure.appendChild(el("figcaption", {}, t("history.chart")));
      main.appendChild(figure);
      chart(holder, points, first, today);
      holder.dataset.points = String(points.length);
      var rows = points.slice().reverse().map(function (p) {
        return el("tr", {}, el("td", {}, P.i18n.formatDate(p.diary_date)), el("td", {}, String(p.score)));
      });
      var table = el("table", {},
                     el("thead", {}, el("tr", {}, el("th", {scope: "col"}, t("history.date")),
                                        el("th", {scope: "col"}, t("history.score")))),
                     el("tbody", {}));
      rows.forEach(function (row) { table.tBodies[0].appendChild(row); });
      main.appendChild(el("details", {class: "card"}, el("summary", {}, t("history.table")), table));
    });
  }

  P.history = {render: render};
}());
