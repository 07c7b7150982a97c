/* The participant app's service worker (issue 19): keeps the app's shell, scripts, styles
   and catalogs so the diary opens offline. The API is never cached here (health data,
   and the answers queue in IndexedDB instead): its requests pass straight through. */
"use strict";
var CACHE = "paindiary-app-{{ version }}";
var URLS = {{ urls | tojson }};

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(URLS);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k.indexOf("paindiary-app-") === 0 && k !== CACHE;
    }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin ||
      url.pathname.indexOf("/app/") !== 0 || url.pathname === "/app/sw.js") {
    return;  // the API and everything else: the network, as without a worker
  }
  if (request.mode === "navigate") {
    // Any page of the app is the one shell (/app/activate?code=... included); the network
    // first so a new release shows at once, the cache when offline.
    event.respondWith(fetch(request).catch(function () {
      return caches.match("/app/", {cacheName: CACHE});
    }));
    return;
  }
  event.respondWith(caches.match(request, {cacheName: CACHE}).then(function (hit) {
    return hit || fetch(request);
  }));
});
