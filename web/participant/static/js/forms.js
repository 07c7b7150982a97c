/* Small DOM helpers of the app: elements, radio groups with large touch targets, ids,
   and times with the device's UTC offset (the API refuses times without one). */
(function () {
  "use strict";
  var P = window.PainApp = window.PainApp || {};
  var counter = 0;

  /* el("p", {class: "x"}, "text", child, ...): attributes, then text or nodes. */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) { return; }
      if (name.indexOf("on") === 0) { node.addEventListener(name.slice(2), value); }
      else if (name === "text") { node.textContent = value; }
      else { node.setAttribute(name, value === true ? "" : value); }
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) { continue; }
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function uid(prefix) { counter += 1; return (prefix || "f") + "-" + counter; }

  /* A fieldset of radio buttons: options [{value, label}]; onChange(value). */
  function radioGroup(legend, name, options, opts) {
    opts = opts || {};
    var hintId = opts.hint ? uid("hint") : null;
    var fieldset = el("fieldset", {class: "choices " + (opts.className || ""),
                                   "aria-describedby": hintId});
    fieldset.appendChild(el("legend", {}, legend));
    if (opts.hint) { fieldset.appendChild(el("p", {class: "hint", id: hintId}, opts.hint)); }
    var list = el("div", {class: "options"});
    options.forEach(function (o) {
      var id = uid(name);
      var input = el("input", {type: "radio", name: name, id: id, value: String(o.value),
                               checked: opts.value !== undefined && String(opts.value) === String(o.value),
                               onchange: function () { if (opts.onChange) { opts.onChange(o.value); } }});
      list.appendChild(el("div", {class: "option"}, input,
        el("label", {for: id, "aria-label": o.ariaLabel || null}, o.label)));
    });
    fieldset.appendChild(list);
    return fieldset;
  }

  function checked(root, name) {
    var input = root.querySelector("input[name='" + name + "']:checked");
    return input ? input.value : null;
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  /* The device's local time with its offset, e.g. 2027-03-01T20:15:03+01:00. */
  function localInstant(date) {
    date = date || new Date();
    var off = -date.getTimezoneOffset();
    var sign = off >= 0 ? "+" : "-";
    off = Math.abs(off);
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
      "T" + pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()) +
      sign + pad(Math.floor(off / 60)) + ":" + pad(off % 60);
  }

  /* Value of an <input type=datetime-local> for now (local wall time, minutes). */
  function localInputValue(date) { return localInstant(date).slice(0, 16); }

  /* A message box: kind "ok", "error" or "info"; announced by screen readers. */
  function notice(kind, text) {
    return el("p", {class: "notice " + kind, role: kind === "error" ? "alert" : "status"}, text);
  }

  /* The reason a correction needs (the API refuses a change without one). */
  function reasonField(form) {
    var id = uid("reason");
    form.appendChild(el("label", {for: id}, P.t("correction.reason")));
    var reason = el("textarea", {id: id, rows: "2", maxlength: "1000", required: true});
    form.appendChild(reason);
    return reason;
  }

  /* Before sending: shows the first problem (a catalog key, or a correction without its
     reason) in ``messages``; true when the form must not be sent. */
  function refused(messages, problem, reason) {
    messages.innerHTML = "";
    if (problem) {
      messages.appendChild(notice("error", P.t(problem.key, problem.params)));
      return true;
    }
    if (reason && !reason.value.trim()) {
      messages.appendChild(notice("error", P.t("correction.reason_needed")));
      reason.focus();
      return true;
    }
    return false;
  }

  function addDays(iso, days) {
    var d = new Date(iso + "T12:00:00Z");
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10);
  }

  P.forms = {el: el, uid: uid, radioGroup: radioGroup, checked: checked, uuid: uuid,
             localInstant: localInstant, localInputValue: localInputValue, notice: notice,
             addDays: addDays, reasonField: reasonField, refused: refused};
}());
