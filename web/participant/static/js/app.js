/* The participant app's start and navigation: the service worker, the language (the
   participant's own from /me unless changed on this phone), the views (activation by
   code or QR link when the phone has no token) and the status line (offline, answers
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
               settings: function (view) { return P.settings.render(view); }};

  function currentView() {
    var name = location.hash.replace("#", "");
    return VIEWS[name] ? name : "today";
  }

  var shown = 0;

  /* Render the current view off-screen, then swap it in (a later call wins). */
  function show() {
    if (!P.store.token()) { P.settings.activation(); return Promise.resolve(); }
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
      P.store.forget().then(function () {
        P.settings.activation(t("status.signed_out"));
        renderStatus();
      });
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

  P.app = {afterAnswer: afterAnswer, show: show, renderStatus: renderStatus,
           applyLanguage: applyLanguage};
  start();
}());
