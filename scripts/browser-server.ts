/**
 * Bundles browser/*.ts with esbuild (ESM, for browsers, 'brainstate-ts' resolved to dist/
 * as in an application) and serves the pages on 127.0.0.1. `npm run demo` runs it and
 * prints the demo's URL; spec/integration/browser.spec.ts starts it on a free port and
 * receives the check page's results at POST /result.
 *
 * Paths: `/` the demo (browser/index.html), `/check.html`, `/build/*` the bundles,
 * `/wasm/*` tfjs-backend-wasm's .wasm files (the pages call `setWasmPaths('/wasm/')`, as
 * tfjs documents for serving them yourself).
 */
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { ensureBuilt, root } from './ensure-built';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.map': 'application/json',
  '.wasm': 'application/wasm', '.json': 'application/json',
};

/** Where the bundles are written (ignored by git). */
export const BUILD_DIR = path.join(root, '.browser-build');

/** Builds dist/ if stale, then the page bundles; returns esbuild's warnings as text. */
export async function buildBundles(): Promise<string[]> {
  ensureBuilt();
  const result = await esbuild.build({
    entryPoints: { demo: path.join(root, 'browser', 'demo.ts'), check: path.join(root, 'browser', 'check.ts') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: BUILD_DIR,
    sourcemap: true,
    minify: true,
    // State kinds (and checkpoint manifests) use class names: a minifier must keep them.
    keepNames: true,
    tsconfig: path.join(root, 'browser', 'tsconfig.json'),
    logLevel: 'silent',
  });
  return result.warnings.map((w) => `${w.location?.file ?? ''}: ${w.text}`);
}

/** A running server. */
export interface BrowserServer {
  readonly url: string;
  close(): Promise<void>;
}

function resolvePath(urlPath: string): string | undefined {
  const clean = decodeURIComponent(urlPath.split('?')[0]);
  if (clean === '/' || clean === '/index.html') return path.join(root, 'browser', 'index.html');
  if (clean === '/check.html') return path.join(root, 'browser', 'check.html');
  const serve = (dir: string, rest: string): string | undefined => {
    const file = path.join(dir, rest);
    return file.startsWith(dir + path.sep) ? file : undefined;
  };
  if (clean.startsWith('/build/')) return serve(BUILD_DIR, clean.slice('/build/'.length));
  if (clean.startsWith('/wasm/')) {
    return serve(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist'),
      clean.slice('/wasm/'.length));
  }
  return undefined;
}

/** Serves the pages on 127.0.0.1:`port` (0: any free port); `onResult` gets each POST /result body. */
export function startServer(port: number, onResult?: (body: string) => void): Promise<BrowserServer> {
  const server = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/result') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => { body += d; });
      req.on('end', () => {
        res.writeHead(204).end();
        onResult?.(body);
      });
      return;
    }
    const file = resolvePath(req.url ?? '/');
    if (file === undefined || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${address.port}/`,
        close: () => new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}

async function main(): Promise<void> {
  const warnings = await buildBundles();
  for (const w of warnings) console.warn(`esbuild: ${w}`);
  const port = Number(process.env.PORT ?? 8080);
  const { url } = await startServer(port);
  console.log(`brainstate-ts demo: ${url}  (backends: ${url}?backend=webgl, ?backend=wasm, ?backend=cpu; ` +
    `size: ?n=2000; the browser check page: ${url}check.html). Ctrl-C stops it.`);
}

if (require.main === module) {
  main().catch((e: Error) => {
    console.error(e);
    process.exit(1);
  });
}
