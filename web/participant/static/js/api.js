/* The public participant API, with the device's bearer token. A GET that fails for want
   of a network answers the copy kept on the phone (P.store.recall), if there is one. */
(function () {
  "use strict";
  var P = window.PainApp = window.PainApp || {};
  var BASE = "/api/v1";

  function Offline() { this.offline = true; }

  function call(method, path, body) {
    var headers = {"Accept": "application/json"};
    var token = P.store.token();
    if (token) { headers.Authorization = "Bearer " + token; }
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    return fetch(BASE + path, {
      method: method, headers: headers, cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body)
    }).catch(function () { throw new Offline(); }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (json) {
        if (response.status === 401 && token) { P.events.dispatchEvent(new Event("signed-out")); }
        return {status: response.status, ok: response.ok, body: json};
      });
    });
  }

  /* GET with the offline fallback: {body, stale} or null when nothing is known. */
  function read(path) {
    return call("GET", path).then(function (r) {
      if (!r.ok) { return {body: null, status: r.status}; }
      return P.store.remember(path, r.body).then(function () { return {body: r.body}; });
    }, function (error) {
      if (!error.offline) { throw error; }
      return P.store.recall(path).then(function (kept) {
        return {body: kept, stale: true};
      });
    });
  }

  /* The server's message for a refused request (the API's {message, errors} shape). */
  function message(r) {
    var b = r && r.body;
    if (!b) { return String(r && r.status); }
    var details = [];
    if (b.errors) {
      Object.keys(b.errors).forEach(function (where) {
        var v = b.errors[where];
        details.push(typeof v === "string" ? v : JSON.stringify(v));
      });
    }
    return [b.message].concat(details).filter(Boolean).join(" ");
  }

  P.events = P.events || new EventTarget();
  /* A participant GET with the app's language: texts (window titles, questionnaire
     wording) follow the app's switch even where the study has no such language. */
  function withLang(path) {
    return path + (path.indexOf("?") < 0 ? "?" : "&") + "lang=" + encodeURIComponent(P.i18n.lang());
  }

  P.api = {call: call, read: read, message: message, withLang: withLang};
}());
