// The app's service worker: keeps the app shell so the page opens without a network. Answers
// live in IndexedDB and the page sends them; /api/ requests are never cached or answered here.
'use strict';
const CACHE = 'skm-app-v1';
const SHELL = ['/app/', '/app/app.js', '/app/app.css', '/app/manifest.webmanifest', '/app/icon-192.png', '/app/icon-512.png'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  // the shell only; everything else (the API above all) goes to the network untouched
  const path = url.pathname === '/app' || url.pathname === '/app/index.html' ? '/app/' : url.pathname;
  if (!SHELL.includes(path)) return;
  event.respondWith(
    caches.open(CACHE).then((cache) =>
      cache.match(path).then((cached) => {
        // cache first; a fresh copy for next time when the network answers
        const fresh = fetch(request).then((response) => {
          if (response.ok) cache.put(path, response.clone());
          return response;
        });
        if (cached) {
          event.waitUntil(fresh.catch(() => undefined));
          return cached;
        }
        return fresh;
      }),
    ),
  );
});

// Background Sync: the page listens and sends what waits (the signing key stays with it).
self.addEventListener('sync', (event) => {
  if (event.tag !== 'skm-kirim') return;
  event.waitUntil(
    self.clients.matchAll({type: 'window'}).then((clients) => clients.forEach((c) => c.postMessage('sync'))),
  );
});
