/**
 * Headless Chromium (Debian's `chromium`) for the browser spec and the demo screenshot:
 * one fresh profile per launch, no network beyond the page, no GPU (WebGL runs on
 * SwiftShader).
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const CANDIDATES = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The browser binary, or why there is none. */
export function findChromium(): { path: string } | { missing: string } {
  for (const c of CANDIDATES) {
    if (c !== undefined && c !== '' && fs.existsSync(c)) return { path: c };
  }
  return { missing: 'no Chromium found (looked at $CHROMIUM, /usr/bin/chromium, /usr/bin/chromium-browser, ' +
    '/usr/bin/google-chrome); install it with `apt-get install -y chromium` (.ci/run does)' };
}

/**
 * The flag that turns WebGPU on in Chromium on Linux. Without a GPU (and with
 * `--disable-gpu`) Chromium 156 then offers SwiftShader's WebGPU adapter (a fallback
 * adapter: vendor 'google', architecture 'swiftshader'); no other flag is needed.
 */
export const WEBGPU_FLAG = '--enable-unsafe-webgpu';

/** The flags every launch uses. */
export function chromiumFlags(profile: string): string[] {
  return ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--no-first-run', '--disable-sync', '--disable-extensions', '--mute-audio', `--user-data-dir=${profile}`];
}

/** A running headless browser on `url`. */
export interface Browser {
  readonly process: ChildProcess;
  stderr(): string;
  close(): void;
}

/** Opens `url` in a new headless Chromium with a fresh profile. */
export function openHeadless(binary: string, url: string, extra: string[] = []): Browser {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'brainstate-chromium-'));
  const proc = spawn(binary, [...chromiumFlags(profile), ...extra, url], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => { err += d; });
  return {
    process: proc,
    stderr: () => err,
    close: () => {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      // Chromium may still be writing its profile for a moment after the kill.
      setTimeout(() => fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5 }), 1000).unref();
    },
  };
}

/**
 * Screenshots `url` after `budgetMs` of virtual time (`--screenshot`); resolves to the
 * PNG's path or rejects with Chromium's stderr. Asynchronous: the page's server may run
 * in this process.
 */
export function screenshot(binary: string, url: string, out: string, size: [number, number], budgetMs: number,
  extra: string[] = []): Promise<string> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'brainstate-chromium-'));
  const proc = spawn(binary, [...chromiumFlags(profile), ...extra, `--screenshot=${out}`, `--window-size=${size[0]},${size[1]}`,
    `--virtual-time-budget=${budgetMs}`, '--hide-scrollbars', url], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const timer = setTimeout(() => proc.kill('SIGKILL'), 180000);
  return new Promise((resolve, reject) => {
    proc.on('close', (code) => {
      clearTimeout(timer);
      setTimeout(() => fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5 }), 1000).unref();
      if (fs.existsSync(out)) resolve(out);
      else reject(new Error(`chromium wrote no screenshot (exit ${code}):\n${err.slice(-3000)}`));
    });
  });
}
