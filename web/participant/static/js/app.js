/* The participant app's start and navigation: the service worker, the language (the
   participant's own from /me unless changed on this phone), activation by code or by the
   QR link (/app/activate?code=...), the views and the status line (offline, answers
   waiting to be sent). */
(function () {
  "use strict";
  var P = window.PainApp = window.PainApp || {};
  var el = function () { return P.forms.el.apply(null, arguments); };
  var t = function (k, p) { return P.t(k, p); };
  var main = document.getElementById("main");
  var nav = document.getElementById("nav");
  var statusBox = document.getElementById("status");
  var flash = null;
  var VIEWS = {today: function (view) { return P.today.render(view); },
               history: function (view) { return P.history.render(view); },
               settings: settings};

  function currentView() {
    var name = location.hash.replace("#", "");
    return VIEWS[name] ? name : "today";
  }

  var shown = 0;

  /* Render the current view off-screen, then swap it in (a later call wins). */
  function show() {
    if (!P.store.token()) { activation(); return Promise.resolve(); }
    nav.hidden = false;
    var name = currentView();
    var mine = ++shown;
    nav.querySelectorAll("a").forEach(function (a) {
      if (a.dataset.view === name) { a.setAttribute("aria-current", "page"); }
      else { a.removeAttribute("aria-current"); }
    });
    var view = el("div", {});
    return Promise.resolve(VIEWS[name](view)).then(function () {
      if (mine !== shown) { return; }
      if (flash) {
        view.insertBefore(flash, view.firstChild ? view.firstChild.nextSibling : null);
        flash = null;
      }
      main.replaceChildren.apply(main, Array.prototype.slice.call(view.childNodes));
      main.dataset.ready = name;
      P.events.dispatchEvent(new Event("shown"));
    }, function (error) {
      main.replaceChildren(P.forms.notice("error", t("error.generic")));
      throw error;
    });
  }

  /* After an answer was queued: say whether it went or waits, then show Today again. */
  function afterAnswer(outcome, sentText, queuedText) {
    if (outcome === "sent") { flash = P.forms.notice("ok", sentText); }
    else if (outcome === "queued") { flash = P.forms.notice("info", queuedText); }
    else { flash = P.forms.notice("error", t("error.server", {message: outcome.refused})); }
    return show().then(function () { main.focus(); });
  }

  /* What a queued answer is, in the current language (dates in words). */
  function labelOf(item) {
    var params = Object.assign({}, item.label.params);
    if (params.date) { params.date = P.i18n.formatDate(params.date); }
    return t(item.label.key, params);
  }

  function renderStatus() {
    return P.outbox.list().then(function (items) {
      statusBox.innerHTML = "";
      if (!navigator.onLine) { statusBox.appendChild(el("p", {class: "offline"}, t("status.offline"))); }
      var waiting = items.filter(function (i) { return !i.refused; });
      var refused = items.filter(function (i) { return i.refused; });
      statusBox.dataset.waiting = String(waiting.length);
      if (waiting.length) {
        var box = el("div", {class: "waiting"}, el("p", {}, P.i18n.plural("status.waiting", waiting.length)));
        var list = el("ul", {});
        waiting.forEach(function (i) { list.appendChild(el("li", {}, labelOf(i))); });
        box.appendChild(list);
        if (navigator.onLine) {
          box.appendChild(el("button", {type: "button", class: "secondary",
                                        onclick: function () { P.outbox.flush(); }}, t("status.send_now")));
        }
        statusBox.appendChild(box);
      }
      refused.forEach(function (i) {
        statusBox.appendChild(el("div", {class: "refused"},
          el("p", {}, labelOf(i) + " – " + t("status.refused", {message: i.refused})),
          el("button", {type: "button", class: "secondary",
                        onclick: function () { P.outbox.discard(i.id); }}, t("status.discard"))));
      });
    });
  }

  function activation(message) {
    nav.hidden = true;
    main.innerHTML = "";
    var params = new URLSearchParams(location.search);
    var codeId = "activation-code";
    var hintId = "activation-hint";
    var code = el("input", {id: codeId, name: "code", type: "text", autocomplete: "one-time-code",
                            autocapitalize: "characters", spellcheck: "false", required: true,
                            "aria-describedby": hintId, value: params.get("code") || ""});
    var messages = el("div", {});
    if (message) { messages.appendChild(P.forms.notice("info", message)); }
    var button = el("button", {type: "submit", class: "primary"}, t("activate.submit"));
    var form = el("form", {class: "card activation", novalidate: true},
                  el("h2", {}, t("activate.title")), el("p", {}, t("activate.intro")),
                  el("label", {for: codeId}, t("activate.code")),
                  el("p", {class: "hint", id: hintId}, t("activate.code_hint")),
                  code, messages, button);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      messages.innerHTML = "";
      var value = code.value.trim();
      if (!value) {
        messages.appendChild(P.forms.notice("error", t("activate.error.empty")));
        code.focus();
        return;
      }
      button.disabled = true;
      messages.appendChild(P.forms.notice("info", t("activate.working")));
      P.api.call("POST", "/participant/activate", {code: value}).then(function (r) {
        button.disabled = false;
        messages.innerHTML = "";
        if (r.ok) {
          P.store.setToken(r.body.token);
          history.replaceState(null, "", "/app/#today");  // the code leaves the address bar
          return applyLanguage().then(show);
        }
        var key = "activate.error." + r.status;
        messages.appendChild(P.forms.notice("error", t(key) === key ? t("error.server", {message: P.api.message(r)}) : t(key)));
        code.focus();
      }, function () {
        button.disabled = false;
        messages.innerHTML = "";
        messages.appendChild(P.forms.notice("error", t("activate.error.network")));
      });
    });
    main.appendChild(form);
    main.appendChild(languageSwitch());
    main.dataset.ready = "activate";
  }

  function languageSwitch() {
    var id = "language";
    var select = el("select", {id: id});
    var names = P.i18n.languages();
    Object.keys(names).forEach(function (code) {
      select.appendChild(el("option", {value: code, lang: code,
                                       selected: code === P.i18n.lang()}, names[code]));
    });
    select.addEventListener("change", function () {
      P.store.setLanguage(select.value);
      P.i18n.load(select.value).then(function () {
        return P.store.token() ? show() : activation();
      }).then(function () {
        renderStatus();
        var again = document.getElementById(id);
        if (again) { again.focus(); }
      });
    });
    return el("div", {class: "card field"}, el("label", {for: id}, t("settings.language")), select);
  }

  /* The evening reminder's time (PUT /me/reminder-time; null: the study's time). Online
     only: a setting, not a diary answer, so it is never queued. */
  function reminderForm(me) {
    var id = "reminder-time";
    var input = el("input", {id: id, type: "time", value: me.reminder_time || "",
                             "aria-describedby": "reminder-hint"});
    var messages = el("div", {});
    function put(value) {
      messages.innerHTML = "";
      return P.api.call("PUT", "/me/reminder-time", {reminder_time: value}).then(function (r) {
        if (r.ok) {
          input.value = r.body.reminder_time;
          messages.appendChild(P.forms.notice("ok", t("settings.reminder_saved",
                                                      {time: r.body.reminder_time})));
        } else {
          messages.appendChild(P.forms.notice("error", t("error.server", {message: P.api.message(r)})));
        }
      }, function () {
        messages.appendChild(P.forms.notice("error", t("settings.reminder_offline")));
      });
    }
    var save = el("button", {type: "submit", class: "primary"}, t("settings.reminder_save"));
    var reset = el("button", {type: "button", class: "secondary",
                              onclick: function () { put(null); }}, t("settings.reminder_default"));
    var form = el("form", {class: "card", novalidate: true},
                  el("label", {for: id}, t("settings.reminder")),
                  el("p", {class: "hint", id: "reminder-hint"}, t("settings.reminder_hint")),
                  input, messages, el("div", {class: "buttons"}, save, me.reminder_time_chosen ? reset : null));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (input.value) { put(input.value.slice(0, 5)); }
    });
    return form;
  }

  function settings(view) {
    return P.api.read("/me").then(function (r) {
      var main = view;
      main.appendChild(el("h2", {class: "page-title"}, t("settings.title")));
      main.appendChild(languageSwitch());
      if (r.body) {
        main.appendChild(reminderForm(r.body));
        main.appendChild(el("section", {class: "card"},
          el("p", {}, t("settings.study", {title: r.body.study_title})),
          el("p", {}, t("settings.subject", {subject: r.body.subject_id}))));
      }
      main.appendChild(el("p", {class: "card"}, t("settings.install")));
      var out = el("button", {type: "button", class: "secondary danger"}, t("settings.sign_out"));
      out.addEventListener("click", function () {
        if (window.confirm(t("settings.sign_out_confirm"))) {
          P.store.forget().then(function () { location.hash = ""; activation(); renderStatus(); });
        }
      });
      main.appendChild(out);
    });
  }

  /* The language: this phone's choice, else the participant's from /me, else the
     browser's. */
  function applyLanguage() {
    var chosen = P.store.language();
    if (chosen) { return P.i18n.load(chosen); }
    if (!P.store.token()) {
      return P.i18n.load(P.i18n.browserLanguage(["en", "fr", "nl", "es"]));
    }
    return P.api.read("/me").then(function (r) {
      var mine = r.body && r.body.language ? r.body.language.split("-")[0] : null;
      return P.i18n.load(mine || P.i18n.browserLanguage(["en", "fr", "nl", "es"]))
        .catch(function () { return P.i18n.load("en"); });
    });
  }

  function start() {
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/app/sw.js", {scope: "/app/"}).catch(function () {});
    }
    P.events.addEventListener("outbox", function (event) {
      renderStatus();
      var d = event.detail || {};
      if (!d.fromAnswer && d.sent && d.sent.length && main.dataset.ready === "today") {
        show();
      }
    });
    P.events.addEventListener("signed-out", function () {
      P.store.forget().then(function () { activation(t("status.signed_out")); renderStatus(); });
    });
    window.addEventListener("online", function () { renderStatus(); P.outbox.flush(); });
    window.addEventListener("offline", renderStatus);
    window.addEventListener("hashchange", function () { show().then(function () { main.focus(); }); });
    setInterval(function () { if (navigator.onLine) { P.outbox.flush(); } }, 30000);
    applyLanguage().then(function () {
      renderStatus();
      return show();
    }).then(function () {
      if (navigator.onLine) { P.outbox.flush(); }
    });
  }

  P.app = {afterAnswer: afterAnswer, show: show};
  start();
}());
