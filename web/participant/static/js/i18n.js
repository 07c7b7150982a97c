/* Message catalogs of the participant app: every text shown comes from
   /app/i18n/<lang>.json (built from the .po files), by key; no English is written here. */
(function () {
  "use strict";
  var P = window.PainApp = window.PainApp || {};
  var messages = {};
  var languages = {};
  var lang = document.documentElement.lang || "en";

  function t(key, params) {
    var text = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key;
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      return params && params[name] !== undefined ? String(params[name]) : all;
    });
  }

  /* "status.waiting" + 3 -> "status.waiting.other" by the language's plural rule. */
  function plural(base, count, params) {
    var form = new Intl.PluralRules(lang).select(count) === "one" ? "one" : "other";
    return t(base + "." + form, Object.assign({count: count}, params || {}));
  }

  /* The first of the browser's languages the app has, else English. */
  function browserLanguage(available) {
    var wanted = navigator.languages || [navigator.language || "en"];
    for (var i = 0; i < wanted.length; i++) {
      var code = wanted[i].toLowerCase().split("-")[0];
      if (available.indexOf(code) >= 0) { return code; }
    }
    return "en";
  }

  function load(code) {
    return fetch("/app/i18n/" + encodeURIComponent(code) + ".json").then(function (r) {
      if (!r.ok) { throw new Error("catalog " + code + ": " + r.status); }
      return r.json();
    }).then(function (c) {
      messages = c.messages;
      languages = c.languages;
      lang = c.lang;
      document.documentElement.lang = lang;
      document.title = t("app.name");
      document.querySelectorAll("[data-t]").forEach(function (node) {
        node.textContent = t(node.getAttribute("data-t"));
      });
      document.querySelectorAll("[data-t-label]").forEach(function (node) {
        node.setAttribute("aria-label", t(node.getAttribute("data-t-label")));
      });
      return lang;
    });
  }

  /* A diary date (YYYY-MM-DD) in words, in the app's language; read as noon UTC so it
     is the same date in every time zone. */
  function formatDate(iso, style) {
    var options = style === "short" ? {day: "numeric", month: "short", timeZone: "UTC"}
      : {weekday: "long", day: "numeric", month: "long", timeZone: "UTC"};
    return new Intl.DateTimeFormat(lang, options).format(new Date(iso + "T12:00:00Z"));
  }

  /* An instant as a date and time in ``zone`` (the participant's, from /me/tasks). */
  function formatInstant(iso, zone) {
    var options = {dateStyle: "medium", timeStyle: "short"};
    if (zone) { options.timeZone = zone; }
    return new Intl.DateTimeFormat(lang, options).format(new Date(iso));
  }

  P.i18n = {
    t: t, plural: plural, load: load, formatDate: formatDate, formatInstant: formatInstant,
    browserLanguage: browserLanguage,
    lang: function () { return lang; },
    languages: function () { return languages; }
  };
  P.t = t;
}());
