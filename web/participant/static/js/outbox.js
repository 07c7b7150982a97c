/* The queue of answers on the phone. Every answer is put here first, with its client id
   and the device's time, then sent; one the network did not take stays and is sent again
   when the network returns. The server answers a repeated client id with the first
   result (200), so a retry after a lost answer never stores a copy. */
(function () {
  "use strict";
  var P = window.PainApp = window.PainApp || {};
  var flushing = null;

  function sorted(items) {
    return items.sort(function (a, b) { return a.queued_at < b.queued_at ? -1 : 1; });
  }

  function list() { return P.store.all("outbox").then(sorted); }

  /* Queue an answer, then try to send everything. Resolves to "sent", "queued" or
     {refused: message} for this answer. */
  function add(kind, path, body, label) {
    var item = {id: body.client_id, kind: kind, path: path, body: body, label: label,
                queued_at: new Date().toISOString(), refused: null};
    return P.store.put("outbox", item).then(function () {
      return flush({fromAnswer: true});
    }).then(function (result) {
      if (result.sent.indexOf(item.id) >= 0) { return "sent"; }
      if (result.refused[item.id]) { return {refused: result.refused[item.id]}; }
      return "queued";
    });
  }

  function sendOne(item) {
    return P.api.call("POST", item.path, item.body).then(function (r) {
      if (r.status === 200 || r.status === 201) {
        return P.store.remove("outbox", item.id).then(function () { return "sent"; });
      }
      if (r.status === 401 || r.status === 429 || r.status >= 500) { return "stop"; }
      item.refused = P.api.message(r);  // 409, 422: sending again would not help
      return P.store.put("outbox", item).then(function () { return "refused"; });
    });
  }

  /* Send the waiting answers in the order they were given; stop at the first that finds
     no network. One run at a time. */
  function flush(opts) {
    if (flushing) { return flushing.then(function () { return flush(opts); }); }
    var result = {sent: [], refused: {}, offline: false,
                  fromAnswer: Boolean(opts && opts.fromAnswer)};
    flushing = list().then(function (items) {
      var waiting = items.filter(function (i) { return !i.refused; });
      var chain = Promise.resolve("sent");
      waiting.forEach(function (item) {
        chain = chain.then(function (previous) {
          if (previous === "stop") { return "stop"; }
          return sendOne(item).then(function (outcome) {
            if (outcome === "sent") { result.sent.push(item.id); }
            if (outcome === "refused") { result.refused[item.id] = item.refused; }
            return outcome === "refused" ? "sent" : outcome;
          }, function (error) {
            if (error && error.offline) { result.offline = true; return "stop"; }
            throw error;
          });
        });
      });
      return chain;
    }).then(function () {
      flushing = null;
      P.events.dispatchEvent(new CustomEvent("outbox", {detail: result}));
      return result;
    }, function (error) { flushing = null; throw error; });
    return flushing;
  }

  function discard(id) {
    return P.store.remove("outbox", id).then(function () {
      P.events.dispatchEvent(new CustomEvent("outbox", {detail: {sent: [], refused: {}}}));
    });
  }

  P.outbox = {add: add, flush: flush, list: list, discard: discard};
}());
