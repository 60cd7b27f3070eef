// mlstack dashboard, first script: it runs while the page is still being parsed, so the first
// state is on its way before app.js and the stylesheet have arrived, and the token leaves the
// address bar at once.
'use strict';
(function boot() {
  const key = 'mlstack-dashboard-token';
  // The token arrives in the URL's fragment once. A new tab's first use of sessionStorage stalls
  // this thread, so the token is kept in window.mlstackToken for app.js, which stores it for this
  // tab's reloads once the first state is drawn.
  const m = location.hash.match(/^#token=([0-9a-f]+)$/);
  const t = m ? m[1] : sessionStorage.getItem(key);
  window.mlstackToken = t;
  window.mlstackTokenNew = !!m;
  // The body is read here too, so app.js finds the state parsed (its read() takes the same shape).
  window.mlstackFirstState = fetch('/api/state', { headers: t ? { 'Authorization': 'Bearer ' + t } : {} })
    .then(async r => ({ status: r.status, ok: r.ok, statusText: r.statusText, body: await r.json().catch(() => ({})) }));
  if (m) history.replaceState(null, '', location.pathname + '#/stack');
})();
