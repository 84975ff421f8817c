/**
 * The import graph of the library (src/, decorators/, testing/), from the TypeScript
 * compiler's own scanner (`ts.preProcessFile`: static imports, re-exports, `require()`
 * and `import()`), with each file's layer. The layers, lowest first (a file may import
 * only from its own layer or lower; docs/architecture.md explains each):
 *
 * 0. src/errors.ts, src/config.ts, src/util/
 * 1. src/backend/ (the tfjs adapter, the backend target registry and one folder per backend),
 *    src/kernels/ (names of the custom kernels)
 * 2. src/state/
 * 3. src/graph/
 * 4. src/compiler/
 * 5. src/transform/
 * 6. src/random/, src/event/, src/nn/, src/optim/, src/checkpoint/, src/environ/
 * 7. src/side-effects.ts, src/index.ts
 * 8. decorators/, testing/ (import from src/, never the reverse)
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { repoRoot, sourceFiles } from './source-files';

/** The layers, lowest first: path prefixes relative to the repository root. */
export const LAYERS: readonly (readonly string[])[] = [
  ['src/errors.ts', 'src/config.ts', 'src/util/'],
  ['src/backend/', 'src/kernels/'],
  ['src/state/'],
  ['src/graph/'],
  ['src/compiler/'],
  ['src/transform/'],
  ['src/random/', 'src/event/', 'src/nn/', 'src/optim/', 'src/checkpoint/', 'src/environ/'],
  ['src/side-effects.ts', 'src/index.ts'],
  ['decorators/', 'testing/'],
];

/** The layer of a file (relative path with forward slashes), or -1. */
export function layerOf(rel: string): number {
  return LAYERS.findIndex((prefixes) => prefixes.some((p) => rel === p || (p.endsWith('/') && rel.startsWith(p))));
}

/** One import: from a file to a file, and whether it is type-only (erased at run time). */
export interface Edge {
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}

const rel = (abs: string) => path.relative(repoRoot, abs).split(path.sep).join('/');

function resolve(fromAbs: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(fromAbs), spec);
  for (const c of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  }
  return undefined;
}

/** Whether every import of `spec` in `text` is `import type` / `export type`. */
function onlyTypeImports(text: string, spec: string): boolean {
  const q = spec.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const all = new RegExp(`(?:import|export)\\s+(type\\s+)?[^;]*?from\\s+['"]${q}['"]|require\\(\\s*['"]${q}['"]|import\\(\\s*['"]${q}['"]|import\\s+['"]${q}['"]`, 'g');
  let any = false;
  for (const m of text.matchAll(all)) {
    any = true;
    if (m[1] === undefined) return false;
  }
  return any;
}

/** Every import between library files. */
export function importGraph(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(['src', 'decorators', 'testing'])) {
    const text = fs.readFileSync(file, 'utf8');
    const info = ts.preProcessFile(text, true, true);
    const seen = new Set<string>();
    for (const ref of info.importedFiles) {
      const target = resolve(file, ref.fileName);
      if (target === undefined || seen.has(target)) continue;
      seen.add(target);
      edges.push({ from: rel(file), to: rel(target), typeOnly: onlyTypeImports(text, ref.fileName) });
    }
  }
  return edges;
}

/** Imports from a lower layer to a higher one (`from` layer < `to` layer). */
export function upwardImports(edges: readonly Edge[]): string[] {
  return edges.filter((e) => layerOf(e.to) > layerOf(e.from))
    .map((e) => `${e.from} (layer ${layerOf(e.from)}) imports ${e.to} (layer ${layerOf(e.to)})${e.typeOnly ? ' [type only]' : ''}`);
}

/** Files outside every layer. */
export function unlayered(edges: readonly Edge[]): string[] {
  return [...new Set(edges.flatMap((e) => [e.from, e.to]))].filter((f) => layerOf(f) < 0);
}

/** The import cycles (strongly connected components of more than one file, or a file importing itself), run-time imports only. */
export function cycles(edges: readonly Edge[]): string[][] {
  const adj = new Map<string, string[]>();
  for (const e of edges) {
    if (e.typeOnly) continue;
    if (!adj.has(e.from)) adj.set(e.from, []);
    adj.get(e.from)!.push(e.to);
  }
  // Tarjan's algorithm.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of adj.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) {
        low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (adj.get(v) ?? []).includes(v)) out.push(comp.sort());
    }
  };
  for (const v of adj.keys()) if (!idx.has(v)) visit(v);
  return out;
}
