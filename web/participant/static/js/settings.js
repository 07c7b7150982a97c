/* The Settings view (language, evening reminder time, disconnecting the phone) and the
   activation screen: the participant's own choices, outside the diary itself. */
(function () {
  "use strict";
  var P = window.PainApp = window.PainApp || {};
  var el = function () { return P.forms.el.apply(null, arguments); };
  var t = function (k, p) { return P.t(k, p); };
  var main = document.getElementById("main");
  var nav = document.getElementById("nav");

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
          return P.app.applyLanguage().then(P.app.show);
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
      if (P.store.token()) {
        // The participant's own language too (reminders, SMS replies), when the study
        // offers it; otherwise (422) or offline the choice stays on this phone only.
        P.api.call("PUT", "/me/language", {language: select.value}).catch(function () {});
      }
      P.i18n.load(select.value).then(function () {
        return P.store.token() ? P.app.show() : activation();
      }).then(function () {
        P.app.renderStatus();
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
          messages.appendChild(P.forms.notice("error",
                                              t("error.server", {message: P.api.message(r)})));
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
                  input, messages,
                  el("div", {class: "buttons"}, save, me.reminder_time_chosen ? reset : null));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (input.value) { put(input.value.slice(0, 5)); }
    });
    return form;
  }

  function settings(view) {
    return P.api.read("/me").then(function (r) {
      view.appendChild(el("h2", {class: "page-title"}, t("settings.title")));
      view.appendChild(languageSwitch());
      if (r.body) {
        view.appendChild(reminderForm(r.body));
        view.appendChild(el("section", {class: "card"},
          el("p", {}, t("settings.study", {title: r.body.study_title})),
          el("p", {}, t("settings.subject", {subject: r.body.subject_id}))));
      }
      view.appendChild(el("p", {class: "card"}, t("settings.install")));
      var out = el("button", {type: "button", class: "secondary danger"}, t("settings.sign_out"));
      out.addEventListener("click", function () {
        if (window.confirm(t("settings.sign_out_confirm"))) {
          P.store.forget().then(function () {
            location.hash = "";
            activation();
            P.app.renderStatus();
          });
        }
      });
      view.appendChild(out);
    });
  }

  P.settings = {render: settings, activation: activation};
}());
