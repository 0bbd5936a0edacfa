// medic web dashboard: plain JS, no framework, nothing from outside this origin.
// Data: GET /api/v1/status, /alerts, /incidents, /actions. Live: one EventSource on
// /api/v1/events for the service, recovery and deployment channels; every message triggers a
// refetch. Actions need the bearer token, asked once and kept only in
// this tab's sessionStorage.
'use strict';
(function () {
  const TOKEN_KEY = 'medic.token';
  const CHANNELS = ['service_state', 'recovery_coordination', 'deployment_coordination'];
  const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 };
  const STATE_ORDER = ['failed', 'missing', 'escalated', 'recovering', 'verifying',
    'waiting_replacement', 'waiting_dependency', 'starting', 'maintenance', 'unknown', 'healthy'];
  const DAY_MS = 24 * 3600 * 1000;

  const $ = (id) => document.getElementById(id);
  let data = { status: null, alerts: [], incidents: [], actions: [], deploys: [] };
  let skewMs = 0; // server time minus browser time, so ages use medic's clock
  let statusAt = 0; // when the status was fetched (browser clock), to age its *_age_seconds
  let fetching = false;
  let fetchAgain = false;
  let refreshTimer = 0;

  // ---- small helpers ----

  function el(tag, props, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') e.textContent = v;
      else if (k === 'className') e.className = v;
      else if (k === 'onclick') e.addEventListener('click', v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children || []) if (c) e.append(c);
    return e;
  }
  const chip = (text, cls) => el('span', { className: 'chip ' + cls, text });
  const nowMs = () => Date.now() + skewMs;
  const parseTime = (t) => (t ? Date.parse(t) : NaN);

  function duration(sec) {
    if (sec === null || sec === undefined || isNaN(sec)) return '–';
    if (sec < 1) return (sec * 1000).toFixed(sec < 0.01 ? 2 : 0) + ' ms';
    if (sec < 60) return sec.toFixed(sec < 10 ? 1 : 0) + ' s';
    const m = Math.floor(sec / 60);
    if (m < 60) return m + 'm ' + Math.floor(sec % 60) + 's';
    const h = Math.floor(m / 60);
    if (h < 48) return h + 'h ' + (m % 60) + 'm';
    return Math.floor(h / 24) + 'd ' + (h % 24) + 'h';
  }
  function age(t) {
    const ms = parseTime(t);
    return isNaN(ms) ? '–' : duration(Math.max(0, nowMs() - ms) / 1000);
  }
  const ago = (t) => (isNaN(parseTime(t)) ? '–' : age(t) + ' ago');
  // An age the status gave in seconds, grown by the time since it was fetched.
  const ageNow = (sec) => (typeof sec === 'number' ? duration(sec + Math.max(0, Date.now() - statusAt) / 1000) : null);
  function clock(t) {
    const d = new Date(parseTime(t));
    return isNaN(d) ? '–' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  }
  function bytes(n) {
    if (n === null || n === undefined) return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : n) + ' ' + units[i];
  }

  async function errorText(r) {
    try {
      const j = await r.json();
      return (j && j.error && j.error.message) || r.statusText;
    } catch (e) {
      return r.statusText;
    }
  }
  async function getJson(path) {
    const r = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    if (!r.ok) throw new Error(path + ': ' + r.status + ' ' + (await errorText(r)));
    return r.json();
  }

  function notify(kind, text) {
    const n = $('notice');
    n.dataset.kind = kind;
    n.textContent = text;
    n.hidden = false;
  }
  function setLive(state, text) {
    const l = $('live');
    l.dataset.state = state;
    l.textContent = text;
  }

  // ---- data ----

  async function refresh() {
    if (fetching) { fetchAgain = true; return; }
    fetching = true;
    try {
      const optional = (p) => getJson(p).catch((e) => ({ unavailable: e.message }));
      const [status, alerts, incidents, actions, deploys] = await Promise.all([
        getJson('/api/v1/status'), getJson('/api/v1/alerts?all'),
        optional('/api/v1/incidents?since=24h'), optional('/api/v1/actions?limit=20'),
        optional('/api/v1/deploys')]);
      statusAt = Date.now();
      skewMs = parseTime(status.time) - Date.now() || 0;
      data = { status, alerts, incidents, actions, deploys };
      render();
    } catch (e) {
      setLive('down', 'cannot reach medic (' + e.message + '); retrying');
    } finally {
      fetching = false;
      if (fetchAgain) { fetchAgain = false; refresh(); }
    }
  }
  function scheduleRefresh(delay) {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, delay);
  }

  // One connection for all channels: a browser opens at most six per host, across its tabs.
  function follow() {
    const es = new EventSource('/api/v1/events?channels=' + CHANNELS.join(','));
    es.onopen = () => {
      setLive('live', 'live');
      scheduleRefresh(50);
    };
    es.onmessage = () => scheduleRefresh(100);
    es.onerror = () => {
      // EventSource reconnects by itself and resumes with Last-Event-ID.
      setLive('down', 'disconnected; reconnecting…');
    };
  }

  // ---- actions ----

  function askToken() {
    const dlg = $('token-dialog');
    const input = $('token-input');
    input.value = '';
    return new Promise((resolve) => {
      const done = (value) => {
        $('token-form').onsubmit = null;
        $('token-cancel').onclick = null;
        dlg.onclose = null;
        if (dlg.open) dlg.close();
        resolve(value);
      };
      $('token-form').onsubmit = (e) => { e.preventDefault(); done(input.value.trim()); };
      $('token-cancel').onclick = () => done(undefined);
      dlg.onclose = () => done(undefined);
      dlg.showModal();
      input.focus();
    });
  }

  async function act(label, path, body) {
    let token = sessionStorage.getItem(TOKEN_KEY);
    if (token === null) {
      token = await askToken();
      if (token === undefined) { notify('info', label + ': cancelled (no token given).'); return; }
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
    }
    const headers = {};
    if (token) headers.Authorization = 'Bearer ' + token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    notify('info', label + '…');
    let r;
    try {
      r = await fetch(path, { method: 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      notify('error', label + ' failed: medic is unreachable (' + e.message + ').');
      return;
    }
    if (r.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      notify('error', label + ' refused (401): medic needs its token for actions. ' +
        (token ? 'The token given is wrong and was forgotten.' : 'No token was given.') +
        ' Try again with the token from <state-dir>/token.');
      return;
    }
    if (!r.ok) { notify('error', label + ' failed (' + r.status + '): ' + (await errorText(r))); return; }
    notify('ok', label + ': accepted (' + r.status + ').');
    scheduleRefresh(50);
  }
  const svcPath = (name, what) => '/api/v1/services/' + encodeURIComponent(name) + '/' + what;

  // ---- rendering ----

  function render() {
    const s = data.status;
    renderHeader(s);
    renderServices(s.services || []);
    renderEndpoints(s.endpoints);
    renderAlerts(Array.isArray(data.alerts) ? data.alerts : []);
    renderIncidents(data.incidents);
    renderActions(data.actions, data.deploys);
    $('updated').textContent = 'updated ' + clock(s.time);
  }

  function renderHeader(s) {
    $('version').textContent = s.version ? 'v' + s.version : '';
    const score = $('score');
    const value = s.health_score;
    $('score-value').textContent = value === null || value === undefined ? '–' : String(Math.round(value));
    score.dataset.level = value === null || value === undefined ? 'none' : value >= 90 ? 'good' : value >= 60 ? 'fair' : 'poor';
    score.title = s.health_score_note || 'health score: weighted share of healthy services';
    const counts = {};
    for (const svc of s.services || []) counts[svc.state] = (counts[svc.state] || 0) + 1;
    const states = Object.keys(counts).sort((a, b) => STATE_ORDER.indexOf(a) - STATE_ORDER.indexOf(b));
    $('counts').replaceChildren(...(states.length ? states.map((k) => chip(counts[k] + ' ' + k.replace('_', ' '), 'st-' + k))
      : [chip(s.health_score_note || 'nothing protected', 'st-unknown')]));
    const e = s.engine || {};
    $('engine').textContent = 'engine: ' + (e.reachable ? 'reachable' : 'UNREACHABLE') + ' (' + (e.address || '?') + ')' +
      (e.reconnects ? ', ' + e.reconnects + ' reconnects' : '');
    $('uptime').textContent = 'medic up ' + duration(s.uptime_seconds);
    const problems = [];
    if (s.panic) problems.push('Panic mode: too many services failed at once; medic holds off repairs.');
    if (s.observe_only) problems.push('Observe-only: medic watches but repairs nothing' + (s.store_error ? ' (store: ' + s.store_error + ')' : '') + '.');
    else if (s.store_error) problems.push('Store: ' + s.store_error);
    if (e.reachable === false) problems.push('The Docker engine is unreachable.');
    $('banner').textContent = problems.join(' ');
    $('banner').hidden = problems.length === 0;
  }

  function probeHealth(svc) {
    const probes = svc.probes || [];
    if (!probes.length) return svc.docker_state || '–';
    return probes.map((p) => p.name + ' ' + p.state + (p.summary ? ' (' + p.summary + ')' : '')).join('; ');
  }

  function renderServices(services) {
    const rows = services.slice().sort((a, b) =>
      STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state) || a.name.localeCompare(b.name));
    const td = (label, content, cls) => el('td', { 'data-label': label, className: cls }, [typeof content === 'string' ? document.createTextNode(content) : content]);
    const trs = rows.map((svc) => {
      const probes = svc.probes || [];
      const latencies = probes.map((p) => p.latency_ms).filter((v) => typeof v === 'number');
      const checked = probes.map((p) => parseTime(p.checked_at)).filter((v) => !isNaN(v));
      const running = svc.docker_state === 'running' && svc.started_at;
      const res = svc.resources;
      const actions = el('td', { 'data-label': 'Actions' }, [el('div', { className: 'actions' }, [
        el('button', { type: 'button', 'data-action': 'recover', text: 'Recover', onclick: () => act('Recover ' + svc.name, svcPath(svc.name, 'recover')) }),
        svc.in_maintenance
          ? el('button', { type: 'button', 'data-action': 'maintenance-end', text: 'End maintenance', onclick: () => act('End maintenance of ' + svc.name, svcPath(svc.name, 'maintenance'), { end: true }) })
          : el('button', { type: 'button', 'data-action': 'maintenance', text: 'Maintenance 10m', onclick: () => act('Maintenance of ' + svc.name, svcPath(svc.name, 'maintenance'), { for: '10m' }) }),
      ])]);
      return el('tr', { 'data-service': svc.name, 'data-state': svc.state }, [
        td('Service', el('span', {}, [el('strong', { text: svc.name }), svc.critical ? el('span', { className: 'muted', text: ' critical' }) : null,
          svc.container_name ? el('div', { className: 'muted', text: svc.container_name }) : null])),
        td('State', chip(svc.state.replace('_', ' '), 'st-' + svc.state)),
        td('Health', probeHealth(svc), 'wrap'),
        td('Uptime', running ? age(svc.started_at) : (svc.docker_state || '–')),
        td('Restarts', String(svc.restart_count || 0) + (svc.attempts_in_window ? ' (medic: ' + svc.attempts_in_window + ')' : '')),
        td('CPU', res ? res.cpu_percent.toFixed(1) + ' %' : '–'),
        td('Memory', res ? bytes(res.memory_bytes) + (res.memory_limit_bytes ? ' / ' + bytes(res.memory_limit_bytes) : '') : '–'),
        td('Probe', latencies.length ? Math.max(...latencies).toFixed(0) + ' ms' : '–'),
        td('Evidence age', ageNow(svc.evidence_age_seconds) ||
          (checked.length ? duration(Math.max(0, nowMs() - Math.max(...checked)) / 1000) : '–')),
        actions,
      ]);
    });
    $('services').tBodies[0].replaceChildren(...trs);
    $('services-empty').hidden = rows.length > 0;
  }

  function renderEndpoints(endpoints) {
    const list = Array.isArray(endpoints) ? endpoints : [];
    const trs = list.map((e) => el('tr', { 'data-endpoint': e.name || e.url, 'data-state': e.state }, [
      el('td', { 'data-label': 'Endpoint' }, [el('strong', { text: e.name || e.url || '?' }), e.critical ? el('span', { className: 'muted', text: ' critical' }) : null,
        e.url && e.name ? el('div', { className: 'muted', text: e.url }) : null]),
      el('td', { 'data-label': 'State' }, [chip(e.state || 'unknown', 'st-' + (e.state === 'healthy' || e.state === 'failed' ? e.state : 'unknown'))]),
      el('td', { 'data-label': 'Latency', text: typeof e.last_latency_ms === 'number' ? e.last_latency_ms.toFixed(0) + ' ms' : '–' }),
      el('td', { 'data-label': 'Checked', text: ageNow(e.evidence_age_seconds) ? ageNow(e.evidence_age_seconds) + ' ago' : '–' }),
      el('td', { 'data-label': 'Detail', className: 'wrap', text: e.summary || '' }),
    ]));
    $('endpoints').tBodies[0].replaceChildren(...trs);
    $('endpoints').hidden = trs.length === 0;
    $('endpoints-empty').hidden = trs.length > 0;
  }

  // The queue: firing alerts by severity then newest first; below them what resolved in the last
  // 24 h (still acknowledgeable), newest first.
  function renderAlerts(alerts) {
    const since = nowMs() - DAY_MS;
    const firing = alerts.filter((a) => a.state !== 'resolved');
    const resolved = alerts.filter((a) => a.state === 'resolved' && parseTime(a.resolved) >= since);
    const newest = (a, b) => parseTime(b.updated || b.created) - parseTime(a.updated || a.created);
    firing.sort((a, b) => (SEVERITY_RANK[a.severity] ?? 3) - (SEVERITY_RANK[b.severity] ?? 3) || newest(a, b));
    resolved.sort(newest);
    const item = (a) => el('li', { 'data-alert': a.id, 'data-state': a.state, 'data-service': a.service, className: a.state === 'resolved' || a.acked ? 'acked' : undefined }, [
      chip(a.severity, 'sev-' + a.severity),
      el('strong', { text: a.title }),
      a.fire_count > 1 ? el('span', { className: 'muted', text: '×' + a.fire_count }) : null,
      a.state === 'resolved' ? chip('resolved ' + ago(a.resolved), 'out-recovered') : null,
      a.acked ? chip('acked', 'st-unknown')
        : el('button', { type: 'button', 'data-action': 'ack', text: 'Ack', onclick: () => act('Ack alert ' + a.id, '/api/v1/alerts/' + a.id + '/ack') }),
      el('span', { className: 'when', text: ago(a.updated || a.created) }),
    ]);
    $('alerts').replaceChildren(...firing.map(item), ...resolved.slice(0, 20).map(item));
    $('alerts-empty').hidden = firing.length > 0;
  }

  function renderIncidents(incidents) {
    const tl = $('timeline');
    if (!Array.isArray(incidents)) {
      tl.replaceChildren();
      $('incidents').replaceChildren();
      $('incidents-empty').textContent = 'Incident history unavailable: ' + ((incidents && incidents.unavailable) || 'unknown error');
      $('incidents-empty').hidden = false;
      return;
    }
    const end = nowMs();
    const start = end - DAY_MS;
    const pos = (ms) => Math.min(100, Math.max(0, ((ms - start) / DAY_MS) * 100));
    const lanes = new Map();
    for (const i of incidents) {
      if (!lanes.has(i.service)) lanes.set(i.service, []);
      lanes.get(i.service).push(i);
    }
    const laneEls = [...lanes.keys()].sort().map((name) => {
      const bars = lanes.get(name).map((i) => {
        const from = parseTime(i.detected_at);
        const to = i.recovered_at ? parseTime(i.recovered_at) : i.state === 'open' ? end : from;
        const bar = el('div', {
          className: 'bar out-' + i.outcome + (i.state === 'closed' ? ' closed' : ''),
          title: name + ': ' + i.kind + ', ' + i.outcome + ', detected ' + clock(i.detected_at) +
            (i.recovery_seconds !== null ? ', recovered in ' + duration(i.recovery_seconds) : ''),
        });
        bar.style.left = pos(from) + '%';
        bar.style.width = Math.max(0, pos(to) - pos(from)) + '%';
        return bar;
      });
      return el('div', { className: 'lane' }, [el('span', { className: 'lane-name', text: name }), ...bars]);
    });
    const axis = el('div', { className: 'axis' }, [0, 6, 12, 18, 24].map((h) => {
      const d = new Date(start + h * 3600 * 1000);
      const hhmm = String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0');
      const span = el('span', { text: h === 24 ? 'now' : hhmm });
      span.style.left = (h / 24) * 100 + '%';
      return span;
    }));
    tl.replaceChildren(...(laneEls.length ? [...laneEls, axis] : []));
    const newest = incidents.slice().sort((a, b) => parseTime(b.detected_at) - parseTime(a.detected_at));
    $('incidents').replaceChildren(...newest.map((i) => el('li', { 'data-incident': i.id, 'data-service': i.service }, [
      chip(i.outcome, 'out-' + i.outcome),
      el('strong', { text: i.service }),
      el('span', { text: i.kind }),
      el('span', { className: 'muted', text: 'detected ' + clock(i.detected_at) + (typeof i.detection_seconds === 'number' ? ' (in ' + duration(i.detection_seconds) + ')' : '') }),
      el('span', { className: 'muted', text: i.recovered_at ? 'recovered ' + clock(i.recovered_at) + ' after ' + duration(i.recovery_seconds) : i.state === 'open' ? 'ongoing, ' + (i.attempts || 0) + ' attempt(s)' : 'not recovered' }),
      el('span', { className: 'when', text: ago(i.detected_at) }),
    ])));
    $('incidents-empty').textContent = 'No incidents in the last 24 hours.';
    $('incidents-empty').hidden = newest.length > 0;
  }

  // Recovery actions and guarded deploys, newest first.
  function renderActions(actions, deploys) {
    if (!Array.isArray(actions)) {
      $('actions').replaceChildren();
      $('actions-empty').textContent = 'Action history unavailable: ' + ((actions && actions.unavailable) || 'unknown error');
      $('actions-empty').hidden = false;
      return;
    }
    const deployOutcome = { succeeded: 'ok', running: 'pending', rolled_back: 'failed', rollback_failed: 'failed', refused: 'failed' };
    const items = actions.map((a) => ({ at: parseTime(a.started_at), node: actionItem(a) }));
    for (const d of Array.isArray(deploys) ? deploys : []) {
      items.push({ at: parseTime(d.started_at), node: el('li', { 'data-deploy': d.id, 'data-service': d.service }, [
        chip(d.outcome.replace('_', ' '), 'out-' + (deployOutcome[d.outcome] || 'pending')),
        el('strong', { text: d.service }),
        el('span', { text: 'deploy ' + d.image }),
        el('span', { className: 'muted', text: d.strategy + (d.finished ? '' : ', ' + d.phase) }),
        d.reason ? el('span', { className: 'muted', text: d.reason }) : null,
        d.downtime_measured ? el('span', { className: 'muted', text: 'downtime ' + duration(d.downtime_seconds) }) : null,
        el('span', { className: 'when', text: ago(d.started_at) }),
      ]) });
    }
    items.sort((a, b) => b.at - a.at);
    $('actions').replaceChildren(...items.slice(0, 20).map((i) => i.node));
    $('actions-empty').textContent = 'No recovery or deploy actions yet.';
    $('actions-empty').hidden = items.length > 0;
  }

  function actionItem(a) {
    return el('li', { 'data-action-id': a.id, 'data-service': a.service }, [
      chip(a.outcome, 'out-' + a.outcome),
      el('strong', { text: a.service }),
      el('span', { text: a.action }),
      a.reason ? el('span', { className: 'muted', text: a.reason }) : null,
      a.error ? el('span', { className: 'muted', text: 'error: ' + a.error }) : null,
      el('span', { className: 'muted', text: typeof a.duration_seconds === 'number' ? 'took ' + duration(a.duration_seconds) : '' }),
      el('span', { className: 'when', text: ago(a.started_at) }),
    ]);
  }

  // ---- start ----

  function start() {
    $('forget-token').addEventListener('click', () => {
      sessionStorage.removeItem(TOKEN_KEY);
      notify('info', 'Token forgotten: the next action asks for it again.');
    });
    follow();
    refresh();
    // Ages tick; figures without their own message (CPU, memory, probe latency) catch up slowly.
    setInterval(() => { if (data.status) render(); }, 5000);
    setInterval(refresh, 15000);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
