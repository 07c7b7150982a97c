/* What the app keeps on the phone: the device token and language choice (localStorage),
   the queue of answers not yet sent and the last copies of what the API answered
   (IndexedDB), so the diary can be filled in offline. */
(function () {
  "use strict";
  var P = window.PainApp = window.PainApp || {};
  var DB_NAME = "paindiary-app";
  var opened = null;

  function db() {
    if (!opened) {
      opened = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore("outbox", {keyPath: "id"});
          request.result.createObjectStore("cache", {keyPath: "key"});
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return opened;
  }

  function run(storeName, mode, action) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        var tx = database.transaction(storeName, mode);
        var request = action(tx.objectStore(storeName));
        tx.oncomplete = function () { resolve(request ? request.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }

  P.store = {
    all: function (name) { return run(name, "readonly", function (s) { return s.getAll(); }); },
    get: function (name, key) { return run(name, "readonly", function (s) { return s.get(key); }); },
    put: function (name, value) { return run(name, "readwrite", function (s) { return s.put(value); }); },
    remove: function (name, key) { return run(name, "readwrite", function (s) { return s.delete(key); }); },
    clear: function (name) { return run(name, "readwrite", function (s) { return s.clear(); }); },
    /* The last answer of a GET, kept for offline use. */
    remember: function (key, value) { return P.store.put("cache", {key: key, value: value}); },
    recall: function (key) {
      return P.store.get("cache", key).then(function (row) { return row ? row.value : null; });
    },
    token: function () { return localStorage.getItem("paindiary.token"); },
    setToken: function (token) { localStorage.setItem("paindiary.token", token); },
    language: function () { return localStorage.getItem("paindiary.language"); },
    setLanguage: function (code) { localStorage.setItem("paindiary.language", code); },
    forget: function () {
      localStorage.removeItem("paindiary.token");
      return Promise.all([P.store.clear("outbox"), P.store.clear("cache")]);
    }
  };
}());
