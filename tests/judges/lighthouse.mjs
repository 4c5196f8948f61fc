// Lighthouse over several pages in one node process and one Chromium: the judge of
// tests/judges/test_lighthouse.py and tests/bench/bench_lighthouse.py.
//
// Usage: node tests/judges/lighthouse.mjs JOB.json
// JOB: {"runs": [{"name", "url", "formFactor": "mobile"|"desktop"}],
//       "categories": [ids] or null (all four), "audits": [extra audit ids],
//       "quick": true to stop waiting for quiet sooner (fine for audits of bytes and markup,
//                not for timing scores)}
// Prints one JSON array: per run its categories' scores and, for every audit of
// those categories and the extra ones that did not pass, its score and first items.
// One process and one browser for every run: each CLI start cost ~2 s of loading.

import fs from 'node:fs';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse, {desktopConfig} from 'lighthouse';

// Debian's Chromium with the project's flags (DESIGN.md, Testing).
const CHROME_FLAGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
];

const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH || '/usr/bin/chromium', chromeFlags: CHROME_FLAGS,
});
const results = [];
try {
  for (const run of job.runs) {
    const flags = {
      port: chrome.port, output: 'json', logLevel: 'error', disableFullPageScreenshot: true,
      onlyCategories: job.categories || undefined, onlyAudits: job.audits || undefined,
    };
    if (job.quick) {
      Object.assign(flags, {pauseAfterFcpMs: 0, pauseAfterLoadMs: 0, networkQuietThresholdMs: 250,
                            cpuQuietThresholdMs: 250});
    }
    const config = run.formFactor === 'desktop' ? desktopConfig : undefined;
    const started = Date.now();
    const {lhr} = await lighthouse(run.url, flags, config);
    if (process.env.LH_TIMING) process.stderr.write(run.name + ' ' + (Date.now() - started) + ' ms\n');
    const scores = {};
    for (const [id, category] of Object.entries(lhr.categories)) scores[id] = category.score;
    const audits = {};
    for (const [id, audit] of Object.entries(lhr.audits)) {
      if (audit.score === null || audit.score === 1) continue;  // passed, or not applicable here
      const items = (audit.details && audit.details.items) || [];
      audits[id] = {
        score: audit.score, mode: audit.scoreDisplayMode, title: audit.title,
        value: audit.displayValue || '',
        items: items.slice(0, 5).map(item => JSON.stringify(item.node ? item.node.snippet : (item.url || item)).slice(0, 200)),
      };
    }
    results.push({name: run.name, url: run.url, formFactor: run.formFactor,
                  runtimeError: lhr.runtimeError ? lhr.runtimeError.message : null, scores, audits});
  }
} finally {
  await chrome.kill();
}
process.stdout.write(JSON.stringify(results) + '\n');
