/**
 * The dashboard's page, script and style: plain HTML and a little JavaScript, no build step.
 * The script polls `/api/state` every second and renders every figure with `textContent`, never
 * `innerHTML`: failure reasons come from APIs and are hostile input.
 */

export const dashboardHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Capital · crawl dashboard</title>
<link rel="stylesheet" href="/dashboard.css">
<script src="/dashboard.js" defer></script>
</head>
<body>
<header><h1>Capital · crawl dashboard</h1><p>Updated <span id="updated">never</span> <span id="error" role="alert"></span></p></header>
<main id="queues"><p>Loading…</p></main>
</body>
</html>
`;

export const dashboardCss = `body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1b1b1b; }
h1 { font-size: 1.3rem; margin: 0; } h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; margin: .25rem 0 1rem; } th, td { border: 1px solid #ccc; padding: .2rem .6rem; text-align: right; }
th { background: #f3f3f3; } td.text { text-align: left; max-width: 60rem; white-space: pre-wrap; word-break: break-word; }
.state { font-weight: bold; margin-left: .5rem; } .failed, .stalled { color: #b00020; } .complete { color: #1b5e20; }
#error { color: #b00020; } .figures span { margin-right: 1.5rem; }
`;

export const dashboardJs = `'use strict';
const el = (tag, text, attributes = {}) => {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
};
const fixed = (value) => (Math.round(value * 10) / 10).toFixed(1);
const table = (headers, rows) => {
  const t = el('table');
  const head = el('tr');
  for (const header of headers) head.append(el('th', header));
  t.append(head);
  for (const row of rows) t.append(row);
  return t;
};
const cell = (field, value, cls) => el('td', value, cls ? { 'data-field': field, class: cls } : { 'data-field': field });
function renderQueue(queue) {
  const section = el('section', undefined, { 'data-queue': queue.name });
  const title = el('h2', queue.name);
  title.append(el('span', queue.state, { class: 'state ' + queue.state, 'data-field': 'state' }));
  section.append(title);
  const counts = el('tr');
  for (const field of ['waiting', 'active', 'delayed', 'completed', 'failed', 'stalled']) counts.append(cell(field, queue[field]));
  section.append(table(['waiting', 'active', 'delayed', 'completed', 'failed', 'stalled'], [counts]));
  const figures = el('p', undefined, { class: 'figures' });
  const figure = (label, field, value) => {
    const span = el('span', label + ': ');
    span.append(el('b', value, { 'data-field': field }));
    figures.append(span);
  };
  figure('pages/s', 'pagesPerSecond', fixed(queue.pagesPerSecond));
  const limit = queue.limiter.limitPerSecond;
  figure('limiter', 'limiter', fixed(queue.limiter.requestsPerSecond) + ' req/s of ' + queue.limiter.limit +
    (limit ? ' (' + Math.round((100 * queue.limiter.requestsPerSecond) / limit) + '%)' : ''));
  figure('429s', 'throttled', queue.throttled);
  figure('retries', 'retries', queue.retries);
  figure('workers', 'workerCount', queue.workers.length);
  section.append(figures);
  section.append(table(['worker', 'pages', 'pages/s', 'records', 'retries', '429s', 'failed', 'concurrency'],
    queue.workers.map((worker) => {
      const row = el('tr', undefined, { 'data-worker': worker.id });
      row.append(cell('id', worker.id, 'text'), cell('pages', worker.pages), cell('pagesPerSecond', fixed(worker.pagesPerSecond)),
        cell('records', worker.records), cell('retries', worker.retries), cell('throttled', worker.throttled),
        cell('failed', worker.failed), cell('concurrency', worker.concurrency));
      return row;
    })));
  section.append(el('h3', 'Failed tasks (' + queue.failed + ')'));
  section.append(table(['task', 'connector', 'attempts', 'failed at', 'reason'],
    queue.failures.map((failure) => {
      const row = el('tr', undefined, { 'data-failure': failure.id });
      row.append(cell('id', failure.id.slice(0, 12), 'text'), cell('connector', failure.connector, 'text'),
        cell('attempts', failure.attempts), cell('failedAt', failure.failedAt ? new Date(failure.failedAt).toISOString() : '', 'text'),
        cell('reason', failure.reason, 'text'));
      return row;
    })));
  return section;
}
async function refresh() {
  try {
    const response = await fetch('/api/state', { cache: 'no-store' });
    if (!response.ok) throw new Error('HTTP ' + response.status);
    const state = await response.json();
    const main = document.getElementById('queues');
    main.replaceChildren(...(state.queues.length ? state.queues.map(renderQueue) : [el('p', 'No queue under this prefix yet.')]));
    document.getElementById('updated').textContent = new Date(state.at).toISOString();
    document.getElementById('error').textContent = '';
  } catch (error) {
    document.getElementById('error').textContent = 'Could not read the state: ' + error.message;
  }
}
refresh();
setInterval(refresh, 1000);
`;
