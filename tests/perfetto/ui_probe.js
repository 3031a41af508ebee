#!/usr/bin/env node
// Load a Perfetto UI page served by someone else (concurtrace view) in headless Debian
// chromium and report, as one JSON line on stdout, what the UI shows once the trace loaded:
//   node ui_probe.js URL [OUT.png]
// -> {"loaded": true, "loadMs": ..., "traceTitle": ..., "trackNames": [...], "text": "...",
//     "uiProcesses": [[pid, name], ...], "requests": [...], "blocked": [...]}
// Env: PTQ_CHROMIUM (default /usr/bin/chromium), PTQ_PLAYWRIGHT, PROBE_TIMEOUT (s, default 60).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

function requirePlaywright() {
  const ptqDir = path.join(__dirname, '..', '..', 'tools', 'ptq');
  const tries = [process.env.PTQ_PLAYWRIGHT, path.join(ptqDir, 'node_modules', 'playwright-core'), 'playwright-core'];
  for (const t of tries.filter(Boolean)) { try { return require(t); } catch (e) { /* next */ } }
  throw new Error('playwright-core not found: run npm install in ' + ptqDir);
}

async function main() {
  const [url, png] = process.argv.slice(2);
  if (!url) { process.stderr.write('usage: ui_probe.js URL [OUT.png]\n'); process.exit(1); }
  const origin = new URL(url).origin;
  const { chromium } = requirePlaywright();
  const exe = process.env.PTQ_CHROMIUM || ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
  if (!exe) throw new Error('chromium not found');
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-probe-chrome-'));
  const ctx = await chromium.launchPersistentContext(userDir, {
    executablePath: exe, headless: true, viewport: { width: 1400, height: 800 }, serviceWorkers: 'block',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const logs = []; const requests = []; const blocked = [];
  try {
    // The UI must work offline: everything that is not the local server is refused and recorded.
    await ctx.route((u) => !u.href.startsWith(origin + '/') && !/^(data|blob):/.test(u.href), (route) => {
      blocked.push(route.request().url()); return route.abort();
    });
    const page = ctx.pages()[0] || await ctx.newPage();
    page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
    page.on('response', (r) => { if (r.url().startsWith(origin)) requests.push([r.status(), r.url().slice(origin.length)]); });
    const t0 = Date.now();
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForFunction(() => {
      const a = window.app;
      return a && a.trace && a.trace.engine && !a.isLoadingTrace;
    }, null, { timeout: (+process.env.PROBE_TIMEOUT || 60) * 1000, polling: 100 });
    const loadMs = Date.now() - t0;
    await page.keyboard.press('Escape').catch(() => {});
    // Track titles render asynchronously; wait until the page shows some track names.
    await page.waitForFunction(() => (window.app.trace.workspace.flatTracks || []).length > 0,
      null, { timeout: 10000, polling: 100 }).catch(() => {});
    await page.waitForTimeout(500);
    const info = await page.evaluate(async () => {
      const t = window.app.trace;
      const it = (await t.engine.query('select pid, name from process where pid > 0 order by pid')).iter({});
      const procs = [];
      for (; it.valid(); it.next()) procs.push([Number(it.get('pid')), it.get('name')]);
      return {
        traceTitle: t.traceInfo && t.traceInfo.traceTitle,
        trackNames: (t.workspace.flatTracks || []).map((n) => n.name),
        text: document.body.innerText,
        uiProcesses: procs,
      };
    });
    if (png) await page.screenshot({ path: png });
    process.stdout.write(JSON.stringify({ loaded: true, loadMs, ...info, requests, blocked }) + '\n');
  } catch (e) {
    process.stderr.write(logs.slice(-30).join('\n') + '\n');
    throw e;
  } finally {
    await ctx.close().catch(() => {});
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}
main().catch((e) => { process.stderr.write('ui_probe: ' + (e && e.stack || e) + '\n'); process.exit(1); });
