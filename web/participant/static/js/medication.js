/* The medication form: the study's coded drug list with search (a datalist of every
   name), how it was taken, dose and unit, when, and whether it was a rescue dose. The
   latest intakes are listed under it, each with a button that reopens it in the form,
   which then sends a correction (the version it replaces, and a reason). */
(function () {
  "use strict";
  var P = window.PainApp = window.PainApp || {};
  var el = function () { return P.forms.el.apply(null, arguments); };
  var t = function (k, p) { return P.t(k, p); };

  function findDrug(drugs, text) {
    var wanted = text.trim().toLowerCase();
    return drugs.filter(function (d) {
      return d.code.toLowerCase() === wanted || d.names.some(function (n) {
        return n.toLowerCase() === wanted;
      });
    })[0] || null;
  }

  function routeLabel(route) {
    var key = "route." + route;
    return P.t(key) === key ? route : P.t(key);
  }

  function fill(select, values, label) {
    select.innerHTML = "";
    values.forEach(function (v) { select.appendChild(el("option", {value: v}, label(v))); });
  }

  function field(labelText, input, hint) {
    var hintNode = null;
    if (hint) {
      hintNode = el("p", {class: "hint", id: P.forms.uid("hint")}, hint);
      input.setAttribute("aria-describedby", hintNode.id);
    }
    return el("div", {class: "field"}, el("label", {for: input.id}, labelText), hintNode, input);
  }

  function drugName(drugs, code) {
    var d = drugs.filter(function (x) { return x.code === code; })[0];
    return d ? d.names[0] : code;
  }

  function itemParams(drugs, intake) {
    return {drug: drugName(drugs, intake.drug), dose: intake.dose, unit: intake.unit,
            when: P.i18n.formatInstant(intake.taken_at)};
  }

  /* ``fixing``: the intake this form corrects (its fields filled in), or none. */
  function form(drugs, fixing, onCancel) {
    var f = el("form", {class: "medication", novalidate: true});
    var listId = P.forms.uid("drugs");
    var datalist = el("datalist", {id: listId});
    drugs.forEach(function (d) {
      d.names.forEach(function (n) { datalist.appendChild(el("option", {value: n})); });
    });
    var drug = el("input", {id: P.forms.uid("drug"), type: "search", list: listId,
                            autocomplete: "off", required: true});
    var route = el("select", {id: P.forms.uid("route")});
    var unit = el("select", {id: P.forms.uid("unit")});
    var dose = el("input", {id: P.forms.uid("dose"), type: "text", inputmode: "decimal",
                            required: true, size: "6"});
    var takenAt = el("input", {id: P.forms.uid("taken"), type: "datetime-local",
                               value: P.forms.localInputValue(), required: true});
    var rescueId = P.forms.uid("rescue");
    var rescue = el("input", {id: rescueId, type: "checkbox"});
    var details = el("div", {hidden: true});
    var messages = el("div", {});

    function routes() {
      var d = findDrug(drugs, drug.value);
      return d ? d.routes : [];
    }
    function syncUnits() {
      var r = routes().filter(function (x) { return x.route === route.value; })[0];
      fill(unit, r ? r.units : [], function (u) { return u; });
    }
    drug.addEventListener("input", function () {
      var d = findDrug(drugs, drug.value);
      details.hidden = !d;
      if (d) {
        fill(route, d.routes.map(function (r) { return r.route; }), routeLabel);
        syncUnits();
      }
    });
    route.addEventListener("change", syncUnits);

    f.appendChild(datalist);
    f.appendChild(field(t("med.drug"), drug, t("med.drug_hint")));
    details.appendChild(field(t("med.route"), route));
    details.appendChild(el("div", {class: "row"}, field(t("med.dose"), dose), field(t("med.unit"), unit)));
    details.appendChild(field(t("med.taken_at"), takenAt));
    details.appendChild(el("div", {class: "check"}, rescue, el("label", {for: rescueId}, t("med.rescue"))));
    f.appendChild(details);
    var reason = null;
    if (fixing) {
      f.insertBefore(el("p", {class: "correcting"}, t("med.correcting", itemParams(drugs, fixing))),
                     f.firstChild);
      drug.value = drugName(drugs, fixing.drug);
      drug.dispatchEvent(new Event("input"));
      route.value = fixing.route;
      syncUnits();
      unit.value = fixing.unit;
      dose.value = fixing.dose;
      takenAt.value = P.forms.localInputValue(new Date(fixing.taken_at));
      rescue.checked = fixing.rescue;
      reason = P.forms.reasonField(f);
    }
    f.appendChild(messages);
    f.appendChild(el("button", {type: "submit", class: "primary"},
                     fixing ? t("med.save_correction") : t("med.submit")));
    if (fixing) {
      var cancel = el("button", {type: "button", class: "secondary"}, t("med.cancel"));
      cancel.addEventListener("click", onCancel);
      f.appendChild(cancel);
    }

    f.addEventListener("submit", function (event) {
      event.preventDefault();
      messages.innerHTML = "";
      var d = findDrug(drugs, drug.value);
      if (!d) {
        messages.appendChild(P.forms.notice("error", t("med.no_match")));
        drug.focus();
        return;
      }
      var amount = dose.value.trim().replace(",", ".");
      if (!/^\d+(\.\d+)?$/.test(amount) || Number(amount) <= 0) {
        messages.appendChild(P.forms.notice("error", t("med.dose_needed")));
        dose.focus();
        return;
      }
      if (P.forms.refused(messages, null, reason)) { return; }
      var when = takenAt.value ? new Date(takenAt.value) : new Date();
      var body = {drug: d.code, dose: amount, unit: unit.value, route: route.value,
                  taken_at: P.forms.localInstant(when), rescue: rescue.checked,
                  client_id: P.forms.uuid()};
      if (fixing) {
        body.corrects = fixing.id;
        body.reason = reason.value.trim();
      }
      var params = {drug: d.names[0], dose: amount, unit: unit.value};
      var done = fixing ? t("med.corrected", params) : t("med.saved", params);
      P.outbox.add("medication", "/me/medications", body, {key: "kind.medication", params: params})
        .then(function (outcome) { P.app.afterAnswer(outcome, done, done); });
    });
    return f;
  }

  /* The latest intakes, each with a button that opens it for correction in ``holder``. */
  function recent(drugs, intakes, holder, fresh) {
    if (!intakes.length) { return null; }
    var list = el("ul", {class: "recent"});
    intakes.forEach(function (intake) {
      var params = itemParams(drugs, intake);
      var fix = el("button", {type: "button", class: "secondary",
                              "aria-label": t("med.correct_item", params)}, t("med.correct"));
      fix.addEventListener("click", function () {
        holder.innerHTML = "";
        holder.appendChild(form(drugs, intake, function () {
          holder.innerHTML = "";
          holder.appendChild(fresh());
        }));
        holder.querySelector("textarea").focus();
      });
      list.appendChild(el("li", {}, el("span", {}, t("med.recent_item", params)), fix));
    });
    return el("div", {}, el("h3", {}, t("med.recent")), list);
  }

  function section() {
    return Promise.all([
      P.api.read("/me/medication-drugs"),
      // Offline or refused: the list is left out, adding an intake still works.
      P.api.read("/me/medications?current_only=true&page_size=5").catch(function () { return {}; }),
    ]).then(function (answers) {
      var drugs = answers[0].body && answers[0].body.drugs;
      if (!drugs || !drugs.length) { return null; }
      var intakes = (answers[1].body && answers[1].body.items) || [];
      var holder = el("div", {});
      var fresh = function () { return form(drugs); };
      holder.appendChild(fresh());
      return el("section", {class: "card", "aria-labelledby": "med-h"},
                el("h2", {id: "med-h"}, t("med.title")), el("p", {}, t("med.intro")),
                holder, recent(drugs, intakes, holder, fresh));
    });
  }

  P.medication = {section: section};
}());
