/* The Today view: the day's pain score (one tap, then a confirmation), a past day still
   open, the open questionnaires and side-effect checklist, and the medication form.
   Data: /me/tasks and /me/diary-entries (or their last copies when offline) plus the
   answers still queued on the phone. */
(function () {
  "use strict";
  var P = window.PainApp = window.PainApp || {};
  var el = function () { return P.forms.el.apply(null, arguments); };
  var t = function (k, p) { return P.t(k, p); };

  function load() {
    return Promise.all([
      P.api.read(P.api.withLang("/me/tasks")),
      P.api.read("/me/diary-entries?current_only=true&page_size=100"),
      P.outbox.list()
    ]).then(function (r) {
      var ctx = {tasks: r[0].body, entries: (r[1].body && r[1].body.items) || [], queued: r[2],
                 stale: r[0].stale};
      return P.questionnaire.prefetch(ctx).then(function () { return ctx; });
    });
  }

  /* The day's current score: a queued answer first (newer), else the stored entry. */
  function scoreOf(ctx, date) {
    var queued = ctx.queued.filter(function (i) {
      return i.kind === "pain" && i.body.diary_date === date && !i.refused;
    });
    if (queued.length) { return {score: queued[queued.length - 1].body.score, queued: true}; }
    var entry = ctx.entries.filter(function (e) { return e.diary_date === date; })[0];
    return entry ? {score: entry.score, queued: false} : null;
  }

  /* The 0-10 question; a tap shows the confirmation, a correction asks for a reason. */
  function painForm(date, existing, legend) {
    var box = el("div", {class: "pain-form"});
    var confirm = el("div", {class: "confirm", hidden: true});
    var group = P.forms.radioGroup(legend, "pain-" + date,
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(function (n) {
        return {value: n, label: String(n),
                ariaLabel: n === 0 ? "0, " + t("pain.low") : n === 10 ? "10, " + t("pain.high") : null};
      }), {hint: t("pain.scale_hint"), className: "nrs", onChange: function (score) {
        showConfirm(confirm, date, score, existing);
      }});
    var ends = el("div", {class: "nrs-ends", "aria-hidden": "true"},
                  el("span", {}, t("pain.low")), el("span", {}, t("pain.high")));
    box.appendChild(group);
    box.appendChild(ends);
    box.appendChild(confirm);
    return box;
  }

  function showConfirm(confirm, date, score, existing) {
    confirm.innerHTML = "";
    confirm.hidden = false;
    var question = el("p", {class: "confirm-text", id: P.forms.uid("confirm")},
                      t("pain.confirm", {score: score}));
    confirm.appendChild(question);
    var reason = null;
    if (existing) {
      confirm.appendChild(el("p", {}, t("correction.existing", {score: existing.score})));
      var reasonId = P.forms.uid("reason");
      confirm.appendChild(el("label", {for: reasonId}, t("correction.reason")));
      reason = el("textarea", {id: reasonId, rows: "2", maxlength: "1000", required: true});
      confirm.appendChild(reason);
    }
    var save = el("button", {type: "button", class: "primary",
                             "aria-describedby": question.id}, t("pain.save"));
    var change = el("button", {type: "button", class: "secondary"}, t("pain.change"));
    save.addEventListener("click", function () {
      var body = {diary_date: date, score: Number(score), client_id: P.forms.uuid(),
                  device_time: P.forms.localInstant()};
      if (existing) {
        if (!reason.value.trim()) {
          confirm.appendChild(P.forms.notice("error", t("correction.reason_needed")));
          reason.focus();
          return;
        }
        body.reason = reason.value.trim();
      }
      save.disabled = true;
      var label = {key: "kind.pain", params: {score: score, date: date}};
      P.outbox.add("pain", "/me/diary-entries", body, label).then(function (outcome) {
        P.app.afterAnswer(outcome, t("pain.saved", {score: score, date: P.i18n.formatDate(date)}),
                          t("pain.queued", {score: score, date: P.i18n.formatDate(date)}));
      });
    });
    change.addEventListener("click", function () {
      confirm.hidden = true;
      var first = confirm.parentNode.querySelector("input:checked") ||
        confirm.parentNode.querySelector("input");
      if (first) { first.focus(); }
    });
    confirm.appendChild(el("div", {class: "buttons"}, save, change));
    save.focus();
  }

  function painSection(ctx) {
    var tasks = ctx.tasks;
    var section = el("section", {class: "card", "aria-labelledby": "pain-h"},
                     el("h2", {id: "pain-h"}, t("pain.question")));
    var diary = tasks.diary;
    if (!diary || (!diary.due && !diary.done)) {
      section.appendChild(el("p", {}, t("pain.not_due")));
    } else {
      var existing = scoreOf(ctx, diary.diary_date);
      if (existing) {
        var holder = el("div", {});
        var correct = el("button", {type: "button", class: "secondary"}, t("pain.correct"));
        correct.addEventListener("click", function () {
          holder.innerHTML = "";
          holder.appendChild(painForm(diary.diary_date, existing,
                                      t("pain.for_day", {date: P.i18n.formatDate(diary.diary_date)})));
        });
        section.appendChild(el("p", {class: existing.queued ? "done queued" : "done"},
                               existing.queued ? t("pain.done_queued", {score: existing.score})
                                 : t("pain.done", {score: existing.score})));
        holder.appendChild(correct);
        section.appendChild(holder);
      } else {
        section.appendChild(painForm(diary.diary_date, null,
                                     t("pain.for_day", {date: P.i18n.formatDate(diary.diary_date)})));
      }
    }
    section.appendChild(otherDay(ctx));
    return section;
  }

  /* A past day still open (the study's late-entry rule decides; the API says no when
     it is too late, and the app shows why). */
  function otherDay(ctx) {
    var today = ctx.tasks.today;
    var details = el("details", {class: "other-day"}, el("summary", {}, t("pain.other_day")));
    var inputId = P.forms.uid("day");
    var hintId = P.forms.uid("hint");
    var input = el("input", {type: "date", id: inputId, max: P.forms.addDays(today, -1),
                             min: P.forms.addDays(today, -31), value: P.forms.addDays(today, -1),
                             "aria-describedby": hintId});
    var target = el("div", {});
    var choose = el("button", {type: "button", class: "secondary"}, t("pain.choose_day"));
    choose.addEventListener("click", function () {
      target.innerHTML = "";
      if (!input.value) { return; }
      target.appendChild(painForm(input.value, scoreOf(ctx, input.value),
                                  t("pain.for_day", {date: P.i18n.formatDate(input.value)})));
    });
    details.appendChild(el("label", {for: inputId}, t("pain.other_day_date")));
    details.appendChild(el("p", {class: "hint", id: hintId}, t("pain.other_day_hint")));
    details.appendChild(input);
    details.appendChild(choose);
    details.appendChild(target);
    return details;
  }

  function render(main) {
    return load().then(function (ctx) {
      main.innerHTML = "";
      if (!ctx.tasks) {
        main.appendChild(P.forms.notice("error", t("history.offline")));
        return;
      }
      main.appendChild(el("h2", {class: "page-title"},
                          t("today.title", {date: P.i18n.formatDate(ctx.tasks.today)})));
      if (ctx.tasks.withdrawn) {
        main.appendChild(P.forms.notice("info", t("status.withdrawn")));
        return;
      }
      main.appendChild(painSection(ctx));
      main.appendChild(P.questionnaire.section(ctx));
      var effects = P.sideEffects.section(ctx);
      if (effects) { main.appendChild(effects); }
      return P.medication.section(ctx).then(function (section) {
        if (section) { main.appendChild(section); }
      });
    });
  }

  P.today = {render: render, scoreOf: scoreOf};
}());
