/* The medication form: the study's coded drug list with search (a datalist of every
   name), how it was taken, dose and unit, when, and whether it was a rescue dose. */
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

  function form(drugs) {
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
    f.appendChild(messages);
    f.appendChild(el("button", {type: "submit", class: "primary"}, t("med.submit")));

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
      var when = takenAt.value ? new Date(takenAt.value) : new Date();
      var body = {drug: d.code, dose: amount, unit: unit.value, route: route.value,
                  taken_at: P.forms.localInstant(when), rescue: rescue.checked,
                  client_id: P.forms.uuid()};
      var params = {drug: d.names[0], dose: amount, unit: unit.value};
      P.outbox.add("medication", "/me/medications", body, {key: "kind.medication", params: params})
        .then(function (outcome) {
          P.app.afterAnswer(outcome, t("med.saved", params), t("med.saved", params));
        });
    });
    return f;
  }

  function section() {
    return P.api.read("/me/medication-drugs").then(function (r) {
      if (!r.body || !r.body.drugs || !r.body.drugs.length) { return null; }
      return el("section", {class: "card", "aria-labelledby": "med-h"},
                el("h2", {id: "med-h"}, t("med.title")), el("p", {}, t("med.intro")),
                form(r.body.drugs));
    });
  }

  P.medication = {section: section};
}());
