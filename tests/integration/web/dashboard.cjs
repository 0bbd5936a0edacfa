// The web dashboard in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core),
// against a real `medic watch` protecting a real container. Run by dashboard_test.cc.
//
// Usage: node dashboard.cjs <npm-dir> <base-url> <token> <service> <container> <screenshot.png>
// It checks what a person would: the service renders; `docker rm -f` of its container shows up on
// the page without a reload (state change, alert) and then the recovery (state, incident, action);
// actions without the token are refused and the page says so, with the token they happen (checked
// through the API); no console errors or page errors. Prints one line per check; exit 0 when all
// pass. Every request goes to the daemon on 127.0.0.1.
'use strict';
const path = require('path');
const fs = require('fs');
const os = require('os');
const { execFileSync } = require('child_process');
const { createRequire } = require('module');

const [npmDir, baseUrl, token, service, container, screenshot] = process.argv.slice(2);
if (!screenshot) {
  console.error('usage: node dashboard.cjs <npm-dir> <base-url> <token> <service> <container> <screenshot.png>');
  process.exit(2);
}
const { chromium } = createRequire(path.join(path.resolve(npmDir), 'package.json'))('playwright-core');

let failures = 0;
function check(ok, what, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ': ' + detail : ''}`);
  if (!ok) failures++;
  return ok;
}
async function api(p, init) {
  const r = await fetch(baseUrl + p, init);
  return { status: r.status, body: await r.json().catch(() => null) };
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(fn, timeoutMs, stepMs = 100) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) return v;
    await sleep(stepMs);
  }
}

(async () => {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medic-test-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1280, height: 1000 },
  });
  const consoleErrors = [];
  const expectedRefusals = [];  // the browser's own log line for each 401 we provoke on purpose
  const pageErrors = [];
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') {
        const entry = `${m.type()}: ${m.text()} (${m.location().url || '?'})`;
        if (/status of 401/.test(m.text())) expectedRefusals.push(entry); else consoleErrors.push(entry);
      }
    });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('dialog', (d) => { pageErrors.push('unexpected browser dialog: ' + d.message()); d.dismiss(); });
    const streams = [];
    page.on('request', (r) => { if (/\/events(\?|$)/.test(new URL(r.url()).pathname + new URL(r.url()).search)) streams.push(r.url()); });
    let navigations = 0;
    page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations++; });

    // ---- the page renders the service ----
    const res = await page.goto(baseUrl + '/');
    const headers = res.headers();
    check(res.status() === 200, 'GET / answers 200', String(res.status()));
    check(/default-src 'none'/.test(headers['content-security-policy'] || ''), 'strict CSP on the page', headers['content-security-policy']);
    const row = `#services tr[data-service="${service}"]`;
    const healthy = await page.waitForSelector(`${row}[data-state="healthy"]`, { timeout: 30000 }).then(() => true, () => false);
    check(healthy, `the page shows ${service} healthy`);
    const score = (await page.textContent('#score-value')).trim();
    check(/^\d+$/.test(score), 'the health score is shown', score);
    check(await page.isVisible('#live[data-state="live"]'), 'the page follows the channels (live)');
    const rowText = await page.textContent(row);
    check(/passing/.test(rowText) && /\d+ ms/.test(rowText), 'the row shows probe health and latency', rowText.replace(/\s+/g, ' '));

    const tableOverflow = await page.evaluate(() => { const w = document.querySelector('#services').parentElement; return w.scrollWidth - w.clientWidth; });
    check(tableOverflow <= 1, 'the services table fits a 1280 px window', `overflow ${tableOverflow} px`);

    // Endpoints, once the status reports them (medic.yaml of this test lists one).
    const statusNow = (await api('/api/v1/status')).body;
    if (Array.isArray(statusNow.endpoints)) {
      const ep = await page.waitForSelector('#endpoints tr[data-endpoint="storefront"][data-state="healthy"]', { timeout: 15000 }).then(() => true, () => false);
      check(ep, 'the endpoint is listed healthy', ep ? (await page.textContent('#endpoints tr[data-endpoint="storefront"]')).replace(/\s+/g, ' ') : '');
    } else {
      console.log('skip the status has no endpoints yet');
    }

    // Everything the page shows from now on is recorded, so short-lived states are not missed.
    await page.evaluate(({ rowSel, svc }) => {
      window.__seen = { states: [], alerts: [], marker: 'no reload' };
      const look = () => {
        const r = document.querySelector(rowSel);
        const st = r ? r.dataset.state : 'absent';
        if (window.__seen.states[window.__seen.states.length - 1] !== st) window.__seen.states.push(st);
        for (const li of document.querySelectorAll(`#alerts li[data-service="${svc}"]`)) {
          const t = li.dataset.state + ': ' + li.querySelector('strong').textContent;
          if (!window.__seen.alerts.includes(t)) window.__seen.alerts.push(t);
        }
      };
      new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true });
      look();
    }, { rowSel: row, svc: service });
    const navBefore = navigations;

    // ---- removal: the page changes without a reload, then shows the recovery ----
    const removedAt = Date.now();
    execFileSync('docker', ['rm', '-f', container], { stdio: 'ignore' });
    const sawFailure = await until(() => page.evaluate(() => window.__seen.states.some((s) => s !== 'healthy')), 10000, 20);
    const failureShownMs = Date.now() - removedAt;
    check(sawFailure, 'the page shows the state change', `${failureShownMs} ms after docker rm -f`);
    const sawAlert = await until(() => page.evaluate(() => window.__seen.alerts.some((a) => a.startsWith('firing'))), 15000, 20);
    check(sawAlert, 'a firing alert appears on the page');
    const backHealthy = await page.waitForSelector(`${row}[data-state="healthy"]`, { timeout: 60000 }).then(() => true, () => false);
    const recoveryShownMs = Date.now() - removedAt;
    check(backHealthy, 'the page shows the recovery', `${recoveryShownMs} ms after docker rm -f`);
    const incident = await page.waitForSelector(`#incidents li[data-service="${service}"] .out-recovered, #incidents li[data-service="${service}"] .out-replaced`, { timeout: 15000 }).then(() => true, () => false);
    const incidentText = incident ? await page.textContent(`#incidents li[data-service="${service}"]`) : '';
    check(incident && /detected .*recovered .* after /.test(incidentText), 'the incident timeline shows detection and recovery', incidentText.replace(/\s+/g, ' '));
    check(await page.isVisible('#timeline .bar'), 'the 24 h timeline has a bar for it');
    const action = await page.waitForSelector(`#actions li[data-service="${service}"]`, { timeout: 15000 }).then(() => true, () => false);
    check(action, 'the recovery action is listed', action ? (await page.textContent(`#actions li[data-service="${service}"]`)).replace(/\s+/g, ' ') : '');
    const seen = await page.evaluate(() => window.__seen);
    check(seen.marker === 'no reload' && navigations === navBefore, 'all of that without a reload', `states seen: ${seen.states.join(' > ')}; alerts seen: ${seen.alerts.join(' | ')}`);

    // ---- actions: refused without the token, performed with it ----
    const stored = () => page.evaluate(() => ({ session: sessionStorage.getItem('medic.token'), local: localStorage.length }));
    check((await stored()).session === null, 'no token stored at first');
    await page.click(`${row} button[data-action="maintenance"]`);
    await page.waitForSelector('#token-dialog[open]', { timeout: 5000 });
    await page.fill('#token-input', '');
    await page.click('#token-ok');
    await page.waitForSelector('#notice[data-kind="error"]', { timeout: 5000 });
    const refusedText = await page.textContent('#notice');
    check(/refused \(401\)/.test(refusedText) && /No token was given/.test(refusedText), 'without a token the action is refused and the page says so', refusedText);
    let svc = (await api(`/api/v1/services/${service}`)).body;
    check(svc && svc.in_maintenance === false, 'the refused action did nothing (API)');

    await page.click(`${row} button[data-action="recover"]`);
    await page.waitForSelector('#token-dialog[open]', { timeout: 5000 });
    await page.fill('#token-input', 'f'.repeat(64));
    await page.click('#token-ok');
    await page.waitForFunction(() => /wrong/.test(document.getElementById('notice').textContent), null, { timeout: 5000 });
    check(true, 'a wrong token is refused and the page says so', await page.textContent('#notice'));
    check((await stored()).session === null, 'the wrong token was forgotten');

    await page.click(`${row} button[data-action="maintenance"]`);
    await page.waitForSelector('#token-dialog[open]', { timeout: 5000 });
    await page.fill('#token-input', token);
    await page.click('#token-ok');
    await page.waitForSelector('#notice[data-kind="ok"]', { timeout: 5000 });
    svc = (await until(async () => { const s = (await api(`/api/v1/services/${service}`)).body; return s && s.in_maintenance ? s : null; }, 5000));
    check(!!svc, 'with the token, maintenance is set (API)', svc ? `state ${svc.state}, until ${svc.maintenance_until}` : '');
    const st = await stored();
    check(st.session === token && st.local === 0, 'the token is kept in sessionStorage only');
    const endButton = await page.waitForSelector(`${row} button[data-action="maintenance-end"]`, { timeout: 5000 }).then(() => true, () => false);
    check(endButton, 'the page shows the maintenance');
    await page.click(`${row} button[data-action="maintenance-end"]`);
    const noDialog = !(await page.isVisible('#token-dialog[open]'));
    svc = (await until(async () => { const s = (await api(`/api/v1/services/${service}`)).body; return s && !s.in_maintenance ? s : null; }, 5000));
    check(noDialog && !!svc, 'the token is asked once: ending maintenance needs no second prompt (API)');

    const alertSel = `#alerts li[data-service="${service}"] button[data-action="ack"]`;
    const ackable = await page.waitForSelector(alertSel, { timeout: 5000 }).then(() => true, () => false);
    if (check(ackable, 'the alert can be acknowledged from the page')) {
      const id = await page.getAttribute(`#alerts li[data-service="${service}"]:has(button[data-action="ack"])`, 'data-alert');
      await page.click(alertSel);
      const acked = await until(async () => {
        const all = (await api('/api/v1/alerts?all')).body || [];
        return all.some((a) => String(a.id) === id && a.acked);
      }, 5000);
      check(acked, `alert ${id} is acknowledged (API)`);
    }

    await page.click(`${row} button[data-action="recover"]`);
    await page.waitForSelector('#notice[data-kind="ok"]', { timeout: 5000 });
    check(/accepted \(202\)/.test(await page.textContent('#notice')), 'recover with the token is accepted (202)');

    // ---- a guarded deploy shows up among the actions ----
    const dep = await api('/api/v1/deploys', { method: 'POST', headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ service, image: 'medic-testserver:v2' }) });
    if (check(dep.status === 202, 'a deploy is accepted (API)', `${dep.status} ${JSON.stringify(dep.body).slice(0, 300)}`)) {
      const deployed = await page.waitForSelector(`#actions li[data-deploy="${dep.body.id}"] .out-ok`, { timeout: 90000 }).then(() => true, () => false);
      const text = deployed ? await page.textContent(`#actions li[data-deploy="${dep.body.id}"]`) : '';
      check(deployed && /deploy medic-testserver:v2/.test(text), 'the page lists the deploy and its outcome', text.replace(/\s+/g, ' '));
      await page.waitForSelector(`${row}[data-state="healthy"]`, { timeout: 30000 });
    }

    // ---- artifacts and hygiene ----
    await page.waitForTimeout(300);
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log('screenshot: ' + screenshot);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(200);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 1, 'readable on a phone (390 px wide, no sideways scrolling)', `overflow ${overflow} px`);
    const phone = screenshot.replace(/\.png$/, '') + '-phone.png';
    await page.screenshot({ path: phone, fullPage: true });
    console.log('screenshot: ' + phone);

    check(streams.length === 1, 'one event stream for all channels (a browser allows six connections per host)', streams.join(' '));
    check(pageErrors.length === 0, 'no page errors', pageErrors.join('; '));
    check(consoleErrors.length === 0, 'no console errors or warnings', consoleErrors.join('; '));
    check(expectedRefusals.length === 2, 'the only logged failures are the two refusals provoked on purpose', expectedRefusals.join('; '));
    console.log(`figures: state change shown ${failureShownMs} ms and recovery shown ${recoveryShownMs} ms after docker rm -f`);
  } catch (e) {
    check(false, 'dashboard test ran to the end', e.stack || String(e));
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
  console.log(failures ? `${failures} check(s) failed` : 'all dashboard checks passed');
  process.exit(failures ? 1 : 0);
})();
