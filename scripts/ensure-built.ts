/**
 * Builds dist/ (`tsc -p tsconfig.build.json`) unless it is newer than every source file.
 * The package spec, the browser spec and `npm run demo` use dist/ as users get it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const root = path.join(__dirname, '..');

/** The newest modification time of a file under `dir`. */
function newest(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

/** Builds dist/ if it is missing or older than src/, decorators/ or testing/. */
export function ensureBuilt(): void {
  const dist = path.join(root, 'dist');
  const sources = Math.max(...['src', 'decorators', 'testing'].map((d) => newest(path.join(root, d))));
  if (fs.existsSync(path.join(dist, 'src', 'index.js')) && newest(dist) >= sources) return;
  const r = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed:\n${r.stdout}\n${r.stderr}`);
}
