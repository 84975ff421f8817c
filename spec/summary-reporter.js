// A mocha reporter: the usual `spec` output, then one line `N passed, N failed, N skipped`
// for this backend, also written to .test-results/<label>.json for scripts/run-tests.js
// (the label is BRAINSTATE_TEST_LABEL, else the backend).
'use strict';
const fs = require('fs');
const path = require('path');
const Mocha = require('mocha');

const { EVENT_RUN_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const counts = { passed: 0, failed: 0, skipped: 0 };
    runner.on(EVENT_TEST_PASS, () => counts.passed++);
    runner.on(EVENT_TEST_FAIL, () => counts.failed++);
    runner.on(EVENT_TEST_PENDING, () => counts.skipped++);
    runner.once(EVENT_RUN_END, () => {
      const backend = process.env.BRAINSTATE_BACKEND || 'auto';
      const label = process.env.BRAINSTATE_TEST_LABEL || backend;
      console.log(`${label}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
      const dir = path.join(__dirname, '..', '.test-results');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${label}.json`), JSON.stringify(counts));
    });
  }
}

module.exports = SummaryReporter;
