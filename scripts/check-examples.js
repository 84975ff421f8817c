#!/usr/bin/env node
// `npm test` runs this: every ```ts block in a TSDoc comment of src/**, decorators/** and
// testing/** is type-checked (tsc --noEmit), so a renamed or re-typed API cannot leave a
// wrong @example behind. Each block becomes one module: its imports are hoisted, the rest
// runs inside an async function (examples may `await`), after a prelude that imports
// tf, bst and the decorators as the README does.
// A block that is not meant to compile as is (a fragment) starts with `// not compiled: why`.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.join(__dirname, '..');
const folders = ['src', 'decorators', 'testing'];

function walk(dir, out) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The ```ts blocks inside /** ... *\/ comments of `text`, with their line numbers. */
function examples(text) {
  const found = [];
  for (const c of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const lines = c[0].split('\n').map((l) => l.replace(/^\s*\*? ?/, ''));
    const startLine = text.slice(0, c.index).split('\n').length;
    for (let i = 0; i < lines.length; i++) {
      if (!/^```(ts|typescript)\s*$/.test(lines[i].trim())) continue;
      const body = [];
      let j = i + 1;
      for (; j < lines.length && lines[j].trim() !== '```'; j++) body.push(lines[j]);
      found.push({ line: startLine + i + 1, body });
      i = j;
    }
  }
  return found;
}

const PRELUDE = [
  { name: 'tf', line: "import * as tf from '@tensorflow/tfjs';" },
  { name: 'bst', line: "import * as bst from 'brainstate-ts';" },
  { name: 'jit', line: "import { jit } from 'brainstate-ts/decorators';" },
  { name: 'param', line: "import { param } from 'brainstate-ts/decorators';" },
  { name: 'hidden', line: "import { hidden } from 'brainstate-ts/decorators';" },
];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bst-examples-'));
const where = new Map();
const firstLines = new Map();
let count = 0;
let skipped = 0;
for (const folder of folders) {
  for (const file of walk(path.join(root, folder), [])) {
    for (const ex of examples(fs.readFileSync(file, 'utf8'))) {
      if (ex.body.length > 0 && /^\/\/ not compiled\b/.test(ex.body[0].trim())) { skipped++; continue; }
      const imports = [];
      const rest = [];
      let inImport = false;
      for (const l of ex.body) {
        if (inImport || /^import\s/.test(l)) {
          imports.push(l);
          inImport = !/;\s*$/.test(l) && !/from\s+['"][^'"]+['"]\s*;?\s*$/.test(l);
        } else rest.push(l);
      }
      // The prelude's names, except those the example imports itself.
      const own = new Set(imports.flatMap((l) => [...l.matchAll(/\b\w+\b/g)].map((m) => m[0])));
      const prelude = PRELUDE.filter((p) => !own.has(p.name)).map((p) => p.line);
      const name = `example-${++count}.ts`;
      const src = [...imports, ...prelude, 'export {};',
        'async function example(): Promise<void> {', ...rest, '}', 'void example;', ''].join('\n');
      fs.writeFileSync(path.join(dir, name), src);
      where.set(name, `${path.relative(root, file)}:${ex.line}`);
      firstLines.set(name, (ex.body.find((l) => l.trim() !== '') || '').trim());
    }
  }
}

// Names the examples take as given (as the README's examples do): a model, a random state...
fs.writeFileSync(path.join(dir, 'givens.ts'), [
  "import * as tf from '@tensorflow/tfjs';",
  "import * as bst from 'brainstate-ts';",
  'declare global {',
  '  const rng: bst.RandomState;',
  '  const model: bst.nn.Module;',
  '  const net: bst.nn.Module;',
  '  const lin: bst.nn.Linear;',
  '  const opt: bst.optim.Optimizer;',
  '  const x: tf.Tensor;',
  '  const spikes: tf.Tensor;',
  '}',
  'export {};',
  ''].join('\n'));

const tsconfig = {
  compilerOptions: {
    target: 'ES2022', module: 'commonjs', moduleResolution: 'node', strict: true, noEmit: true, skipLibCheck: true,
    esModuleInterop: true, experimentalDecorators: true, emitDecoratorMetadata: true, useDefineForClassFields: false,
    types: ['node'], typeRoots: [path.join(root, 'node_modules', '@types')], baseUrl: root,
    paths: {
      'brainstate-ts': ['src/index.ts'], 'brainstate-ts/decorators': ['decorators/index.ts'],
      'brainstate-ts/testing': ['testing/index.ts'], '*': ['node_modules/*'],
    },
    noUnusedLocals: false,
  },
  files: ['givens.ts', ...where.keys()],
};
fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
const r = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(dir, 'tsconfig.json')],
  { cwd: dir, encoding: 'utf8' });
const out = `${r.stdout}${r.stderr}`;
const failing = new Map();
for (const line of out.split('\n')) {
  const m = line.match(/^(example-\d+\.ts)\((\d+),\d+\): (error .*)$/);
  if (m == null) continue;
  const at = where.get(m[1]);
  if (!failing.has(at)) failing.set(at, []);
  failing.get(at).push(`${m[3]} (line ${m[2]} of ${path.join(dir, m[1])})`);
}
if (r.status !== 0 && failing.size === 0) {
  console.log(out);
  console.log('check-examples: tsc failed without per-example errors');
  process.exit(1);
}
// Examples that did not compile when this check was added (fragments that use names defined
// elsewhere): listed by file and the text of their first line, so the list only shrinks.
const knownFile = path.join(__dirname, 'examples-known-failing.txt');
const known = new Set(fs.existsSync(knownFile)
  ? fs.readFileSync(knownFile, 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')) : []);
const keyOf = new Map([...where.entries()].map(([name, at]) => [at, `${at.split(':')[0]}: ${firstLines.get(name)}`]));
let newFailures = 0;
const stillKnown = new Set();
for (const [at, errs] of failing) {
  const key = keyOf.get(at);
  if (known.has(key)) { stillKnown.add(key); continue; }
  newFailures++;
  console.log(`${at}: @example does not compile:\n  ${errs.slice(0, 3).join('\n  ')}`);
}
if (process.argv.includes('--update-known')) {
  fs.writeFileSync(knownFile, ['# @examples that do not compile yet (scripts/check-examples.js); fix one, then remove its line.',
    ...[...failing.keys()].map((at) => keyOf.get(at)).sort(), ''].join('\n'));
}
const fixed = [...known].filter((k) => !stillKnown.has(k)).length;
console.log(`check-examples: ${count} @example blocks type-checked, ${newFailures} failing, ${stillKnown.size} known ` +
  `fragments (scripts/examples-known-failing.txt)${fixed > 0 ? `, ${fixed} listed there now compile or moved: remove them` : ''}`);
if (newFailures === 0) fs.rmSync(dir, { recursive: true, force: true });
process.exit(newFailures === 0 ? 0 : 1);
