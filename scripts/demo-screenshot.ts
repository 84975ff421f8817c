/**
 * Screenshots the demo page (browser/index.html) in headless Chromium after a few
 * seconds of running: `npm run demo:screenshot -- out.png [backend]`.
 */
import { findChromium, screenshot } from '../spec/integration/chromium';
import { buildBundles, startServer } from './browser-server';

async function main(): Promise<void> {
  const out = process.argv[2] ?? 'demo.png';
  const backend = process.argv[3] ?? 'wasm';
  const chromium = findChromium();
  if ('missing' in chromium) throw new Error(chromium.missing);
  await buildBundles();
  const server = await startServer(0);
  try {
    await screenshot(chromium.path, `${server.url}?backend=${backend}&n=1000&frames=18`, out, [960, 620], 400000);
    console.log(`written: ${out}`);
  } finally {
    await server.close();
  }
}

main().catch((e: Error) => {
  console.error(e);
  process.exit(1);
});
