/* The side-effect checklist of a window open today (every symptom, none to severe);
   today's report can be changed with a reason (the API keeps both versions). */
(function () {
  "use strict";
  var P = window.PainApp = window.PainApp || {};
  var el = function () { return P.forms.el.apply(null, arguments); };
  var t = function (k, p) { return P.t(k, p); };

  /* The checklist, and today's current report when the window was answered. */
  function prefetch(ctx) {
    var q = P.questionnaire;
    var open = q.windows(ctx, "side_effects", false).length;
    var done = q.windows(ctx, "side_effects", true).length;
    if (!open && !done) { return Promise.resolve(); }
    var jobs = [P.api.read(P.api.withLang("/me/side-effect-checklist")).then(function (r) {
      ctx.checklist = r.body;
    })];
    if (done) {
      jobs.push(P.api.read("/me/side-effects?current_only=true&page_size=10").then(function (r) {
        ctx.sideReports = (r.body && r.body.items) || [];
      }));
    }
    return Promise.all(jobs);
  }

  function checklistForm(ctx, previous) {
    var checklist = ctx.checklist;
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
    var reason = null;
    if (previous) {
      Object.keys(previous.answers).forEach(function (code) {
        var radio = form.querySelector("input[name='se-" + code + "'][value='" +
                                       previous.answers[code] + "']");
        if (radio) { radio.checked = true; }
      });
      other.value = previous.free_text || "";
      reason = P.forms.reasonField(form);
    }
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
      var problem = missing ? {key: "q.missing", params: {count: missing}} : null;
      if (P.forms.refused(messages, problem, reason)) { return; }
      form.querySelector("button[type=submit]").disabled = true;
      var body = {diary_date: ctx.tasks.today, answers: answers, client_id: P.forms.uuid(),
                  device_time: P.forms.localInstant(), free_text: other.value.trim() || null};
      if (reason) { body.reason = reason.value.trim(); }
      P.outbox.add("side_effects", "/me/side-effects", body,
                   {key: "kind.side_effects", params: {date: ctx.tasks.today}})
        .then(function (outcome) { P.app.afterAnswer(outcome, t("se.done"), t("se.done")); });
    });
    return form;
  }

  function section(ctx) {
    var open = P.questionnaire.windows(ctx, "side_effects", false).length;
    var report = (ctx.sideReports || []).filter(function (r) {
      return r.diary_date === ctx.tasks.today;
    })[0];
    if (!ctx.checklist || !(open || report)) { return null; }
    var s = el("section", {class: "card", "aria-labelledby": "se-h"},
               el("h2", {id: "se-h"}, t("se.title")));
    if (open) {
      s.appendChild(el("p", {}, t("se.intro")));
      s.appendChild(checklistForm(ctx, null));
      return s;
    }
    s.appendChild(el("p", {class: "done"}, t("se.answered")));
    var holder = el("div", {});
    var change = el("button", {type: "button", class: "secondary"}, t("se.change"));
    change.addEventListener("click", function () {
      change.hidden = true;
      holder.appendChild(checklistForm(ctx, report));
      holder.querySelector("input").focus();
    });
    s.appendChild(change);
    s.appendChild(holder);
    return s;
  }

  P.sideEffects = {prefetch: prefetch, section: section};
}());
