// Runs the Playwright tests Playhead exports (docs/REPRODUCE.md) in Debian's
// Chromium: no browser is downloaded. BASE_URL is the site under test;
// PLAYHEAD_TESTS the folder of exported tests (default: tests/).
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: process.env.PLAYHEAD_TESTS || 'tests',
  workers: 1,
  retries: 0,
  timeout: 60_000,
  reporter: [['list']],
  outputDir: process.env.PLAYHEAD_RESULTS || 'test-results',
  use: {
    baseURL: process.env.BASE_URL,
    headless: true,
    launchOptions: {
      executablePath: process.env.PLAYHEAD_CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu'],
    },
  },
});
