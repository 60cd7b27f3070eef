// mlstack dashboard. The stack view comes rendered from the server (html/template escapes every
// value for where it lands); everything else from the engine, a container or a run record is set
// with textContent or as an attribute value here, never parsed as HTML.
'use strict';

const TOKEN_KEY = 'mlstack-dashboard-token'; // where the token is kept for this tab's reloads
// The printed URL carries the token as ?token= (the server drew the stack into this page for it).
// It leaves the address bar at once and goes as a header from then on; it is kept in
// sessionStorage for this tab's reloads once the page has loaded, since a new tab's first use of
// sessionStorage holds up the page's one thread.
const urlToken = new URLSearchParams(location.search).get('token');
const token = urlToken || sessionStorage.getItem(TOKEN_KEY);
history.replaceState(null, '', location.pathname + (location.hash.length > 1 ? location.hash : '#/stack'));
if (urlToken) addEventListener('load', () => setTimeout(() => sessionStorage.setItem(TOKEN_KEY, urlToken)));
const MAX_LOG_LINES = 5000;

function authHeaders() {
  return token ? { 'Authorization': 'Bearer ' + token } : {};
}

// el builds an element; string children become text nodes.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k.startsWith('data-')) e.dataset[k.slice(5).replace(/-(.)/g, (_, c) => c.toUpperCase())] = v;
    else e.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return e;
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c) e.append(c);
  return e;
}

function banner(msg) {
  const b = document.getElementById('banner');
  b.textContent = msg || '';
  b.classList.toggle('hidden', !msg);
}

async function api(path, opts) {
  return answer(await read(await fetch(path, Object.assign({ headers: authHeaders() }, opts || {}))));
}

// read takes an API response's status and JSON body.
async function read(r) {
  return { status: r.status, ok: r.ok, statusText: r.statusText, body: await r.json().catch(() => ({})) };
}

// answer returns what read took, or throws its error.
function answer(a) {
  if (a.status === 401) {
    banner('Refused: this page needs the URL printed by `mlstack dashboard` (it carries the access token).');
    throw new Error('unauthorized');
  }
  if (!a.ok) throw new Error(a.body.error || a.statusText);
  return a.body;
}

// stream reads server-sent events from a POST (so the browser sends Origin, which the server checks),
// reconnecting after a break until the signal aborts it.
async function stream(path, onEvent, signal, onUp) {
  while (!signal.aborted) {
    try {
      const r = await fetch(path, { method: 'POST', headers: authHeaders(), signal });
      if (r.status === 401) { banner('Refused: this page needs the URL printed by `mlstack dashboard` (it carries the access token).'); return; }
      if (!r.ok) throw new Error(r.statusText);
      if (onUp) onUp(true);
      const reader = r.body.getReader();
      const dec = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let ev = 'message', data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) ev = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data) onEvent(ev, JSON.parse(data));
        }
      }
    } catch (e) {
      if (signal.aborted) return;
    }
    if (onUp) onUp(false);
    await new Promise(res => setTimeout(res, 1000));
  }
}

// ---- formatting ----
function dur(ms) {
  if (ms < 0 || !isFinite(ms)) return '';
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + 's';
  const m = Math.floor(s / 60);
  if (m < 60) return m + 'm' + String(s % 60).padStart(2, '0') + 's';
  const h = Math.floor(m / 60);
  if (h < 48) return h + 'h' + String(m % 60).padStart(2, '0') + 'm';
  return Math.floor(h / 24) + 'd' + (h % 24) + 'h';
}
function when(t) { return t ? new Date(t).toLocaleString() : ''; }
function num(v) { return typeof v === 'number' ? (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(+v.toPrecision(6))) : ''; }

// Elements with data-since show the time elapsed since then, refreshed every second.
setInterval(() => {
  for (const e of document.querySelectorAll('[data-since]')) e.textContent = dur(Date.now() - Date.parse(e.dataset.since));
}, 1000);

// ---- confirmation ----
function confirmAction(text, action) {
  const m = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  m.classList.remove('hidden');
  const yes = document.getElementById('confirm-yes'), no = document.getElementById('confirm-no');
  const close = () => { m.classList.add('hidden'); yes.onclick = no.onclick = null; };
  no.onclick = close;
  yes.onclick = async () => {
    close();
    try { await action(); banner(''); } catch (e) { banner(e.message); }
  };
}

// ---- app state ----
const app = { state: null, stack: null, runs: null, route: [], logs: null, runTimer: null };

function render() {
  const parts = (location.hash || '#/stack').slice(2).split('/').map(decodeURIComponent);
  app.route = parts;
  for (const n of ['stack', 'logs', 'runs']) {
    document.getElementById('nav-' + n).classList.toggle('active', parts[0] === n || (n === 'runs' && (parts[0] === 'run' || parts[0] === 'diff')));
  }
  if (parts[0] !== 'logs' && app.logs) { app.logs.abort.abort(); app.logs = null; }
  if (app.runTimer) { clearInterval(app.runTimer); app.runTimer = null; }
  const view = document.getElementById('view');
  if (parts[0] !== 'stack' && parts[0]) delete view.dataset.version; // the stack view is no longer shown
  switch (parts[0]) {
    case 'logs': return renderLogs(view, parts[1] || '');
    case 'runs': return renderRuns(view);
    case 'run': return renderRun(view, parts[1]);
    case 'diff': return renderDiff(view, parts[1], parts[2]);
    default: return showStack(view);
  }
}
window.addEventListener('hashchange', render);

function onState(s) {
  app.state = s;
  document.getElementById('project').textContent = s.project;
  document.title = 'mlstack · ' + s.project;
  const ml = document.getElementById('mlflow');
  ml.classList.toggle('hidden', !s.tracking);
  if (s.tracking) ml.setAttribute('href', s.tracking);
}

function onStack(v) {
  app.stack = v;
  if (app.route[0] === 'stack' || !app.route[0]) showStack(document.getElementById('view'));
}

function onRuns(list) {
  const before = app.runs;
  app.runs = list;
  if (app.route[0] === 'runs') renderRuns(document.getElementById('view'));
  if (app.route[0] === 'run' && before) {
    const id = app.route[1];
    const a = before.find(r => r.id === id), b = list.find(r => r.id === id);
    if (JSON.stringify(a) !== JSON.stringify(b)) renderRun(document.getElementById('view'), id);
  }
}

// ---- stack view ----
// showStack puts the server's latest rendering of the stack view in place, unless the view shows
// it already (the page arrives with it drawn; data-version says which state it shows).
function showStack(view) {
  const v = app.stack;
  if (!v) {
    if (!view.dataset.version) view.replaceChildren(el('p', { class: 'muted', text: 'Connecting…' }));
    return;
  }
  if (view.dataset.version === String(v.version)) return;
  const wrap = view.querySelector('.graph-wrap');
  const [left, top] = wrap ? [wrap.scrollLeft, wrap.scrollTop] : [0, 0];
  view.innerHTML = v.html;
  view.dataset.version = v.version;
  const now = view.querySelector('.graph-wrap');
  if (now) { now.scrollLeft = left; now.scrollTop = top; }
}

// A service's restart button, in the server's rendering, asks first.
document.getElementById('view').addEventListener('click', (e) => {
  const node = e.target.closest('button.restart') && e.target.closest('.node[data-service]');
  if (!node) return;
  const name = node.dataset.service;
  confirmAction('Restart service "' + name + '"?', () => api('/api/services/' + encodeURIComponent(name) + '/restart', { method: 'POST' }));
});

// ---- logs view ----
function renderLogs(view, service) {
  if (app.logs && app.logs.service === service) return;
  if (app.logs) app.logs.abort.abort();
  const names = app.state ? app.state.services.map(s => s.name) : [];
  const colour = (n) => 'c' + ([...n].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7) % 8);
  const filter = el('input', { type: 'search', id: 'log-filter', placeholder: 'filter lines', autocomplete: 'off' });
  const follow = el('input', { type: 'checkbox', id: 'log-follow', checked: 'checked' });
  const box = el('div', { class: 'logbox', id: 'logbox' });
  const picker = el('div', { class: 'picker' },
    el('a', { href: '#/logs', class: service ? '' : 'active', text: 'all' }),
    names.map(n => el('a', { href: '#/logs/' + encodeURIComponent(n), class: n === service ? 'active' : '', text: n })));
  view.replaceChildren(picker, el('div', { class: 'toolbar' }, filter, el('label', {}, follow, ' follow')), box);
  const open = new Map(); // service → its open (progress) line element
  const matches = (line) => !filter.value || line.textContent.toLowerCase().includes(filter.value.toLowerCase());
  filter.addEventListener('input', () => { for (const l of box.children) l.classList.toggle('hidden', !matches(l)); });
  const add = (l) => {
    let line = open.get(l.svc);
    if (line) {
      line.lastChild.textContent = l.text;
    } else {
      line = el('div', { class: 'line' }, service ? null : el('span', { class: 'pfx ' + colour(l.svc), text: l.svc + ' | ' }), el('span', { text: l.text }));
      box.append(line);
      while (box.childElementCount > MAX_LOG_LINES) box.firstElementChild.remove();
    }
    line.classList.toggle('hidden', !matches(line));
    if (l.open) open.set(l.svc, line); else open.delete(l.svc);
  };
  const abort = new AbortController();
  app.logs = { service, abort };
  stream('/api/logs?services=' + encodeURIComponent(service), (ev, data) => {
    if (ev === 'lines') {
      for (const l of data) add(l);
      if (follow.checked) box.scrollTop = box.scrollHeight;
    }
  }, abort.signal, (up) => { if (up) { box.replaceChildren(); open.clear(); } });
}

// ---- runs ----
function statusBadge(status) { return el('span', { class: 'status s-' + status, 'data-status': status, text: status }); }
function runDuration(r) {
  if (r.finished_at) return el('span', { text: dur(r.duration_ms) });
  if (r.status === 'running') return el('span', { 'data-since': r.started_at, text: dur(Date.now() - Date.parse(r.started_at)) });
  return el('span', { class: 'muted', text: '—' });
}
function shortCommit(r) { return r.git_commit ? r.git_commit.slice(0, 7) + (r.git_dirty ? '*' : '') : ''; }

function renderRuns(view) {
  const list = app.runs;
  view.replaceChildren();
  if (!list) { view.append(el('p', { class: 'muted', text: 'Loading runs…' })); return; }
  if (list.length === 0) { view.append(el('p', { class: 'muted', text: 'No runs recorded yet: `mlstack train` records every run.' })); return; }
  const picked = new Set(app.picked || []);
  const compare = el('button', { type: 'button', id: 'compare', text: 'Compare two runs', disabled: picked.size !== 2 ? 'disabled' : null,
    onclick: () => { const [a, b] = [...picked]; location.hash = '#/diff/' + encodeURIComponent(b) + '/' + encodeURIComponent(a); } });
  const table = el('table', { class: 'runs' }, el('thead', {}, el('tr', {},
    ['', 'run', 'service', 'status', 'started', 'duration', 'exit', 'GPU', 'commit', 'metrics'].map(h => el('th', { text: h })))));
  const body = el('tbody');
  for (const r of list) {
    const box = el('input', { type: 'checkbox', class: 'pick', 'data-run': r.id, checked: picked.has(r.id) ? 'checked' : null,
      onchange: (e) => { e.target.checked ? picked.add(r.id) : picked.delete(r.id); app.picked = [...picked].slice(-2); renderRuns(view); } });
    const metrics = Object.entries(r.metrics || {}).slice(0, 4).map(([k, v]) => k + '=' + num(v)).join('  ');
    body.append(el('tr', { class: 'run', 'data-run': r.id },
      el('td', {}, box),
      el('td', {}, el('a', { href: '#/run/' + encodeURIComponent(r.id), text: r.id })),
      el('td', { text: r.service }),
      el('td', { class: 'st' }, statusBadge(r.status)),
      el('td', { text: when(r.started_at) }),
      el('td', {}, runDuration(r)),
      el('td', { text: r.finished_at ? String(r.exit_code) : '' }),
      el('td', { text: r.gpus_granted || '' }),
      el('td', { class: 'mono', text: shortCommit(r) }),
      el('td', { class: 'mono small', text: metrics })));
  }
  table.append(body);
  view.append(el('div', { class: 'toolbar' }, compare, el('span', { class: 'muted', text: ' tick two runs to compare them' })), table);
}

function field(name, value) {
  return el('tr', {}, el('th', { text: name }), el('td', { class: 'mono' }, value instanceof Node ? value : String(value === undefined || value === null ? '' : value)));
}

function quoteCmd(cmd) { return (cmd || []).map(a => /[\s'"\\$`|&;<>(){}*?#~]/.test(a) || a === '' ? "'" + a.replace(/'/g, "'\\''") + "'" : a).join(' '); }

async function renderRun(view, id) {
  let v;
  try { v = await api('/api/runs/' + encodeURIComponent(id)); } catch (e) { view.replaceChildren(el('p', { class: 'error', text: e.message })); return; }
  if (app.route[0] !== 'run' || app.route[1] !== id) return;
  const r = v.record;
  const head = el('div', { class: 'toolbar' }, el('h2', { text: 'Run ' + r.id }), statusBadge(v.status));
  if (v.status === 'running') head.append(el('button', { type: 'button', class: 'danger', id: 'stop-run', text: 'stop job',
    onclick: () => confirmAction('Stop training job ' + r.id + '? The engine sends it SIGTERM, then SIGKILL.', () => api('/api/runs/' + encodeURIComponent(r.id) + '/stop', { method: 'POST' })) }));
  if (app.state && app.state.tracking) head.append(el('a', { href: app.state.tracking, target: '_blank', rel: 'noopener noreferrer', text: 'MLflow UI' }));
  const env = el('table', { class: 'env' }, Object.keys(r.env || {}).sort().map(k => field(k, r.env[k])));
  const info = el('table', { class: 'record' },
    field('service', r.service), field('container', r.container_name), field('started', when(r.started_at)),
    field('finished', r.finished_at ? when(r.finished_at) : ''), field('duration', runDuration(Object.assign({ status: v.status }, r))),
    field('exit code', r.finished_at ? r.exit_code : ''), field('image', r.image_id), field('tags', (r.image_tags || []).join(', ')),
    field('git commit', r.git_commit ? r.git_commit + (r.git_dirty ? ' (dirty)' : '') : ''), field('config hash', r.config_hash),
    field('command', quoteCmd(r.command)), field('GPUs requested', r.gpus_requested), field('GPUs granted', r.gpus_granted),
    field('host', r.host), field('mlstack', r.mlstack_version));
  const last = Object.entries(r.metrics || {});
  const metrics = last.length ? el('table', { class: 'record' }, last.sort().map(([k, val]) => field(k, num(val)))) : el('p', { class: 'muted', text: 'No metrics reported (print MLSTACK_METRIC {"step": 1, "loss": 0.5} lines).' });
  const charts = el('div', { class: 'charts' }, Object.keys(r.metric_series || {}).sort().map(k => chart(k, [{ label: r.id, points: r.metric_series[k], cls: 'a' }])));
  const log = el('pre', { class: 'logtail', id: 'run-log', text: v.log_error ? v.log_error : v.log.join('\n') });
  view.replaceChildren(head, el('div', { class: 'cols' },
    el('section', {}, el('h3', { text: 'Record' }), info, el('h3', { text: 'Environment' }), env),
    el('section', {}, el('h3', { text: 'Metrics' }), metrics, charts)),
  el('h3', { text: 'Output (last lines)' }), log);
  log.scrollTop = log.scrollHeight;
  if (v.status === 'running' && !app.runTimer) app.runTimer = setInterval(() => renderRun(view, id), 2000);
  if (v.status !== 'running' && app.runTimer) { clearInterval(app.runTimer); app.runTimer = null; }
}

async function renderDiff(view, a, b) {
  let d;
  try { d = await api('/api/diff?a=' + encodeURIComponent(a) + '&b=' + encodeURIComponent(b)); } catch (e) { view.replaceChildren(el('p', { class: 'error', text: e.message })); return; }
  const rows = d.changes.map(c => el('tr', {}, el('th', { text: c.Field }), el('td', { class: 'mono a', text: c.A || '—' }), el('td', { class: 'mono b', text: c.B || '—' })));
  const table = el('table', { class: 'diff' }, el('thead', {}, el('tr', {}, el('th', { text: 'field' }),
    el('th', {}, el('a', { href: '#/run/' + encodeURIComponent(d.a.id), class: 'a', text: 'A ' + d.a.id })),
    el('th', {}, el('a', { href: '#/run/' + encodeURIComponent(d.b.id), class: 'b', text: 'B ' + d.b.id })))),
  el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: 3, class: 'muted', text: 'no differences' }))));
  const names = [...new Set([...Object.keys(d.a.metric_series || {}), ...Object.keys(d.b.metric_series || {})])].sort();
  const charts = el('div', { class: 'charts' }, names.map(k => chart(k, [
    { label: 'A ' + d.a.id, points: (d.a.metric_series || {})[k] || [], cls: 'a' },
    { label: 'B ' + d.b.id, points: (d.b.metric_series || {})[k] || [], cls: 'b' }])));
  view.replaceChildren(el('h2', { text: 'Compare runs' }), table, el('h3', { text: 'Metrics' }), names.length ? charts : el('p', { class: 'muted', text: 'Neither run reported metrics.' }));
}

// chart draws one metric's curves as SVG lines over shared axes.
function chart(name, series) {
  const W = 380, H = 210, L = 56, R = 10, T = 26, B = 28;
  const all = series.flatMap(s => s.points);
  const c = svg('svg', { class: 'chart', 'data-metric': name, width: W, height: H, viewBox: `0 0 ${W} ${H}` });
  c.append(svg('text', { x: L, y: 16, class: 'ctitle', text: name }));
  if (all.length === 0) return c;
  let x0 = Math.min(...all.map(p => p[0])), x1 = Math.max(...all.map(p => p[0]));
  let y0 = Math.min(...all.map(p => p[1])), y1 = Math.max(...all.map(p => p[1]));
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  if (y0 === y1) { y0 -= Math.abs(y0) * 0.1 || 1; y1 += Math.abs(y1) * 0.1 || 1; }
  const sx = x => L + (x - x0) / (x1 - x0) * (W - L - R), sy = y => H - B - (y - y0) / (y1 - y0) * (H - T - B);
  c.append(svg('rect', { x: L, y: T, width: W - L - R, height: H - T - B, class: 'plot' }));
  for (const [v, y] of [[y1, T], [y0, H - B]]) c.append(svg('text', { x: L - 4, y: y + 4, class: 'tick end', text: num(v) }));
  c.append(svg('text', { x: L, y: H - 8, class: 'tick', text: 'step ' + num(x0) }));
  c.append(svg('text', { x: W - R, y: H - 8, class: 'tick end', text: num(x1) }));
  if (series.length > 1) series.forEach((s, i) => c.append(svg('text', { x: W - R - (series.length - 1 - i) * 22, y: 16, class: 'tick end key ' + s.cls, text: s.label.split(' ')[0] })));
  for (const s of series) {
    if (!s.points.length) continue;
    c.append(svg('polyline', { class: 'line ' + s.cls, points: s.points.map(p => sx(p[0]).toFixed(1) + ',' + sy(p[1]).toFixed(1)).join(' ') }, svg('title', { text: s.label })));
    const lp = s.points[s.points.length - 1];
    c.append(svg('circle', { class: 'dot ' + s.cls, cx: sx(lp[0]), cy: sy(lp[1]), r: 3 }, svg('title', { text: s.label + ': ' + num(lp[1]) + ' at step ' + num(lp[0]) })));
  }
  return c;
}

// ---- start ----
function start() {
  render();
  const live = document.getElementById('live');
  const follow = () => stream('/api/events', (ev, data) => {
    if (ev === 'state') onState(data);
    else if (ev === 'stack') onStack(data);
    else if (ev === 'runs') onRuns(data);
  }, new AbortController().signal, (up) => { live.classList.toggle('off', !up); live.title = up ? 'live' : 'reconnecting'; });
  // The page arrived with the stack drawn, and the stream starts with the state as it is then:
  // opened once the first frame is done, its first events (the runs list is large) do not hold
  // that frame up. A tab opened in the background makes no frames, hence the timer.
  let following = false;
  const begin = () => { if (!following) { following = true; follow(); } };
  requestAnimationFrame(() => setTimeout(begin));
  setTimeout(begin, 500);
}
start();
