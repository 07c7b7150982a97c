/* Open questionnaires, rendered from the instrument definitions the API gives in the
   participant's language (items, answer options, the study's licensed wording), and the
   side-effect checklist. Definitions are fetched while online and kept for offline use. */
(function () {
  "use strict";
  var P = window.PainApp = window.PainApp || {};
  var el = function () { return P.forms.el.apply(null, arguments); };
  var t = function (k, p) { return P.t(k, p); };

  function open(ctx, form) {
    return ((ctx.tasks && ctx.tasks.open_windows) || []).filter(function (w) {
      return w.form === form && !w.done && !ctx.queued.some(function (i) {
        return !i.refused && (i.body.window_id === w.id ||
          (form === "side_effects" && i.kind === "side_effects" &&
           i.body.diary_date === ctx.tasks.today));
      });
    });
  }

  /* Load (or recall) what the open windows need: instruments and the checklist. */
  function prefetch(ctx) {
    ctx.instruments = {};
    var wanted = open(ctx, "questionnaire").map(function (w) { return w.instrument; });
    var jobs = wanted.map(function (id) {
      return P.api.read("/me/instruments/" + encodeURIComponent(id)).then(function (r) {
        if (r.body) { ctx.instruments[id] = r.body; }
      });
    });
    if (open(ctx, "side_effects").length) {
      jobs.push(P.api.read("/me/side-effect-checklist").then(function (r) {
        ctx.checklist = r.body;
      }));
    }
    return Promise.all(jobs);
  }

  /* A window closes at an instant (often midnight): "open until" names the minute before. */
  function lastMinute(closesAt, ctx) {
    var last = new Date(Date.parse(closesAt) - 60000).toISOString();
    return P.i18n.formatInstant(last, ctx.tasks.timezone);
  }

  var CLOCK = "minutes after midnight";  // the API's unit for a time of day (PSQI 1, 3)

  /* One item: options or a short range as buttons, a time of day as a time field, a long
     range as a number field with its bounds (and "minutes" when counted in minutes). */
  function itemField(item) {
    var options;
    if (item.options && item.options.length) {
      options = item.options.map(function (o) { return {value: o.code, label: o.label}; });
    } else if (item.min !== null && item.max !== null && item.max - item.min <= 10) {
      options = [];
      for (var n = item.min; n <= item.max; n++) { options.push({value: n, label: String(n)}); }
    }
    if (options) {
      return P.forms.radioGroup(item.text, "item-" + item.id, options,
                                {className: options.length > 7 ? "nrs" : "list"});
    }
    var id = P.forms.uid("item");
    var hintId = P.forms.uid("hint");
    if (item.unit === CLOCK) {
      return el("div", {class: "field"}, el("label", {for: id}, item.text),
                el("input", {id: id, name: "item-" + item.id, type: "time",
                             "data-clock": "true"}));
    }
    var hint = item.min !== null && item.max !== null
      ? t("q.number_range", {min: item.min, max: item.max}) : null;
    if (hint && item.unit && item.unit.indexOf("minutes") === 0) {
      hint = hint + " (" + t("q.minutes") + ")";
    }
    return el("div", {class: "field"}, el("label", {for: id}, item.text),
              hint ? el("p", {class: "hint", id: hintId}, hint) : null,
              el("input", {id: id, name: "item-" + item.id, type: "number", inputmode: "numeric",
                           min: item.min, max: item.max, step: "1",
                           "aria-describedby": hint ? hintId : null}));
  }

  /* The answer as the API wants it: an integer, or null when not answered; NaN when it
     is not a whole number within the item's bounds. */
  function answerOf(form, item) {
    var radio = form.querySelector("input[name='item-" + item.id + "']:checked");
    if (radio) { return Number(radio.value); }
    var input = form.querySelector("input[name='item-" + item.id + "']:not([type=radio])");
    if (!input || input.value === "") { return null; }
    if (input.dataset.clock) {
      var hm = input.value.split(":");
      return Number(hm[0]) * 60 + Number(hm[1]);
    }
    var value = Number(input.value);
    var ok = Number.isInteger(value) && (item.min === null || value >= item.min) &&
      (item.max === null || value <= item.max);
    return ok ? value : NaN;
  }

  function questionnaireForm(window_, instrument) {
    var items = instrument.items.filter(function (i) { return !i.clinician; });
    var form = el("form", {class: "questionnaire", novalidate: true});
    items.forEach(function (item) { form.appendChild(itemField(item)); });
    var messages = el("div", {});
    form.appendChild(messages);
    form.appendChild(el("button", {type: "submit", class: "primary"}, t("q.submit")));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var answers = {};
      var missing = 0;
      var wrong = 0;
      items.forEach(function (item) {
        answers[item.id] = answerOf(form, item);
        if (answers[item.id] === null && item.scored !== false) { missing += 1; }  // unscored: optional
        if (Number.isNaN(answers[item.id])) { wrong += 1; }
      });
      messages.innerHTML = "";
      if (wrong) {
        messages.appendChild(P.forms.notice("error", t("q.check_numbers")));
        return;
      }
      if (missing) {
        messages.appendChild(P.forms.notice("error", t("q.missing", {count: missing})));
        return;
      }
      form.querySelector("button[type=submit]").disabled = true;
      var body = {instrument: instrument.id, answers: answers, window_id: window_.id,
                  client_id: P.forms.uuid(), device_time: P.forms.localInstant()};
      P.outbox.add("questionnaire", "/me/questionnaire-responses", body,
                   {key: "kind.questionnaire", params: {name: instrument.name}})
        .then(function (outcome) {
          P.app.afterAnswer(outcome, t("q.done"), t("q.done"));
        });
    });
    return form;
  }

  function section(ctx) {
    var s = el("section", {class: "card", "aria-labelledby": "q-h"},
               el("h2", {id: "q-h"}, t("q.title")));
    var windows = open(ctx, "questionnaire");
    if (!windows.length) { s.appendChild(el("p", {}, t("q.none"))); }
    windows.forEach(function (w) {
      var instrument = ctx.instruments[w.instrument];
      var name = instrument ? instrument.name : w.instrument;
      var article = el("article", {class: "window"}, el("h3", {}, name),
                       el("p", {class: "hint"}, t("q.open_until",
                                                  {date: lastMinute(w.closes_at, ctx)})));
      if (!instrument) {
        article.appendChild(el("p", {}, t("q.unavailable")));
      } else {
        var holder = el("div", {});
        var start = el("button", {type: "button", class: "primary"},
                       t("q.start", {name: name}));
        start.addEventListener("click", function () {
          start.hidden = true;
          holder.appendChild(questionnaireForm(w, instrument));
          var first = holder.querySelector("input");
          if (first) { first.focus(); }
        });
        article.appendChild(start);
        article.appendChild(holder);
      }
      s.appendChild(article);
    });
    return s;
  }

  function sideEffects(ctx) {
    if (!open(ctx, "side_effects").length || !ctx.checklist) { return null; }
    var checklist = ctx.checklist;
    var s = el("section", {class: "card", "aria-labelledby": "se-h"},
               el("h2", {id: "se-h"}, t("se.title")), el("p", {}, t("se.intro")));
    var form = el("form", {class: "side-effects", novalidate: true});
    var severities = checklist.severities.map(function (v) {
      return {value: v.code, label: t("se.severity." + v.code)};
    });
    var none = el("button", {type: "button", class: "secondary"}, t("se.all_none"));
    none.addEventListener("click", function () {
      form.querySelectorAll("input[type=radio][value='0']").forEach(function (r) { r.checked = true; });
    });
    form.appendChild(none);
    checklist.symptoms.forEach(function (symptom) {
      form.appendChild(P.forms.radioGroup(symptom.label, "se-" + symptom.code, severities,
                                          {className: "severity"}));
    });
    var otherId = P.forms.uid("other");
    form.appendChild(el("label", {for: otherId}, t("se.other")));
    var other = el("textarea", {id: otherId, rows: "2", maxlength: "1000"});
    form.appendChild(other);
    var messages = el("div", {});
    form.appendChild(messages);
    form.appendChild(el("button", {type: "submit", class: "primary"}, t("se.submit")));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var answers = {};
      var missing = 0;
      checklist.symptoms.forEach(function (symptom) {
        var value = P.forms.checked(form, "se-" + symptom.code);
        answers[symptom.code] = value === null ? null : Number(value);
        if (value === null) { missing += 1; }
      });
      messages.innerHTML = "";
      if (missing) {
        messages.appendChild(P.forms.notice("error", t("q.missing", {count: missing})));
        return;
      }
      var body = {diary_date: ctx.tasks.today, answers: answers, client_id: P.forms.uuid(),
                  device_time: P.forms.localInstant(), free_text: other.value.trim() || null};
      P.outbox.add("side_effects", "/me/side-effects", body,
                   {key: "kind.side_effects", params: {date: ctx.tasks.today}})
        .then(function (outcome) { P.app.afterAnswer(outcome, t("se.done"), t("se.done")); });
    });
    s.appendChild(form);
    return s;
  }

  P.questionnaire = {prefetch: prefetch, section: section, sideEffects: sideEffects};
}());
