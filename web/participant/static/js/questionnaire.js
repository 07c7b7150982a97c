/* Open questionnaires, rendered from the instrument definitions the API gives in the
   participant's language (items, answer options, the study's licensed wording); one
   already answered can be changed, with a reason (sent as a correction of the current
   response). Definitions are fetched while online and kept for offline use. */
(function () {
  "use strict";
  var P = window.PainApp = window.PainApp || {};
  var el = function () { return P.forms.el.apply(null, arguments); };
  var t = function (k, p) { return P.t(k, p); };

  /* The open windows of a form, answered (done) or not, leaving out those with an answer
     still queued on the phone. */
  function windows(ctx, form, done) {
    return ((ctx.tasks && ctx.tasks.open_windows) || []).filter(function (w) {
      return w.form === form && Boolean(w.done) === done && !ctx.queued.some(function (i) {
        return !i.refused && (i.body.window_id === w.id ||
          (form === "side_effects" && i.kind === "side_effects" &&
           i.body.diary_date === ctx.tasks.today));
      });
    });
  }

  /* Load (or recall) what the windows need: instruments, the current responses (to
     change one), the checklist and today's side-effect report. */
  function prefetch(ctx) {
    ctx.instruments = {};
    ctx.responses = [];
    var all = windows(ctx, "questionnaire", false).concat(windows(ctx, "questionnaire", true));
    var jobs = all.map(function (w) {
      var path = P.api.withLang("/me/instruments/" + encodeURIComponent(w.instrument));
      return P.api.read(path).then(function (r) {
        if (r.body) { ctx.instruments[w.instrument] = r.body; }
      });
    });
    if (windows(ctx, "questionnaire", true).length) {
      jobs.push(P.api.read("/me/questionnaire-responses?current_only=true&page_size=100")
        .then(function (r) { ctx.responses = (r.body && r.body.items) || []; }));
    }
    return Promise.all(jobs).then(function () { return P.sideEffects.prefetch(ctx); });
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

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  /* Show a stored answer in its field (changing a response starts from the current one). */
  function setAnswer(form, item, value) {
    if (value === null || value === undefined) { return; }
    var radio = form.querySelector("input[name='item-" + item.id + "'][value='" + value + "']");
    if (radio) { radio.checked = true; return; }
    var input = form.querySelector("input[name='item-" + item.id + "']");
    if (!input) { return; }
    input.value = input.dataset.clock ? pad(Math.floor(value / 60)) + ":" + pad(value % 60)
      : String(value);
  }

  /* What the window is called: the study's title in the app's language (/me/tasks),
     else the instrument's name. */
  function titleOf(w, instrument) {
    return w.title || (instrument ? instrument.name : w.instrument);
  }

  function questionnaireForm(window_, instrument, previous) {
    var items = instrument.items.filter(function (i) { return !i.clinician; });
    var form = el("form", {class: "questionnaire", novalidate: true});
    items.forEach(function (item) { form.appendChild(itemField(item)); });
    var reason = null;
    if (previous) {
      items.forEach(function (item) { setAnswer(form, item, previous.answers[item.id]); });
      reason = P.forms.reasonField(form);
    }
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
      var problem = wrong ? {key: "q.check_numbers"}
        : missing ? {key: "q.missing", params: {count: missing}} : null;
      if (P.forms.refused(messages, problem, reason)) { return; }
      form.querySelector("button[type=submit]").disabled = true;
      var body = {instrument: instrument.id, answers: answers, window_id: window_.id,
                  client_id: P.forms.uuid(), device_time: P.forms.localInstant()};
      if (previous) { body.corrects = previous.id; body.reason = reason.value.trim(); }
      P.outbox.add("questionnaire", "/me/questionnaire-responses", body,
                   {key: "kind.questionnaire", params: {name: titleOf(window_, instrument)}})
        .then(function (outcome) {
          P.app.afterAnswer(outcome, t("q.done"), t("q.done"));
        });
    });
    return form;
  }

  /* An answered window: its change button opens the form with the current answers. */
  function answeredWindow(ctx, w) {
    var instrument = ctx.instruments[w.instrument];
    var current = ctx.responses.filter(function (r) { return r.window_id === w.id; })[0];
    var article = el("article", {class: "window"},
                     el("h3", {}, titleOf(w, instrument)),
                     el("p", {class: "done"}, t("q.answered")));
    if (instrument && current) {
      var holder = el("div", {});
      var change = el("button", {type: "button", class: "secondary"}, t("q.change"));
      change.addEventListener("click", function () {
        change.hidden = true;
        holder.appendChild(questionnaireForm(w, instrument, current));
        holder.querySelector("input").focus();
      });
      article.appendChild(change);
      article.appendChild(holder);
    }
    return article;
  }

  function section(ctx) {
    var s = el("section", {class: "card", "aria-labelledby": "q-h"},
               el("h2", {id: "q-h"}, t("q.title")));
    var answered = windows(ctx, "questionnaire", true);
    var open = windows(ctx, "questionnaire", false);
    if (!open.length) { s.appendChild(el("p", {}, t("q.none"))); }
    open.forEach(function (w) {
      var instrument = ctx.instruments[w.instrument];
      var name = titleOf(w, instrument);
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
    answered.forEach(function (w) { s.appendChild(answeredWindow(ctx, w)); });
    return s;
  }

  P.questionnaire = {prefetch: prefetch, section: section, windows: windows};
}());
