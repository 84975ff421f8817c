/**
 * A fuzz program as a standalone TypeScript program: it builds the states and the
 * arguments of each call, runs the function eagerly and under `transform.jit` (with the
 * compiler switches of the failing variant), and prints where they differ. Paste it in
 * a file at the repository root and run it with
 * `node --conditions=brainstate-source -r ts-node/register/transpile-only file.ts`.
 */
import type { Block, FuzzProgram, Stmt, TensorSpec } from './program';

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

function tensor(t: TensorSpec): string {
  const values = `[${t.values.map(num).join(', ')}], [${t.shape.join(', ')}]`;
  // Bools as makeTensor makes them: the bytes a Uint8Array stores for the numbers, on every backend.
  if (t.dtype === 'bool') {
    return `tf.tensor(Uint8Array.from([${t.values.map(num).join(', ')}], (v) => v & 255), [${t.shape.join(', ')}], 'bool')`;
  }
  return `tf.tensor(${values}, '${t.dtype}')`;
}

function attr(v: unknown): string {
  if (typeof v === 'number') return num(v);
  if (Array.isArray(v)) return `[${v.map(attr).join(', ')}]`;
  return JSON.stringify(v);
}

const name = (id: number) => `v${id}`;

function stmt(s: Stmt, indent: string): string[] {
  switch (s.k) {
    case 'op': {
      const args = s.op === 'concat' ? [`[${s.args.map(name).join(', ')}]`] : s.args.map(name);
      return [`${indent}const ${name(s.out)} = tf.${s.op}(${[...args, ...s.attrs.map(attr)].join(', ')});`];
    }
    case 'const':
      return [`${indent}const ${name(s.out)} = ${tensor(s.t)};`];
    case 'read':
      return [`${indent}const ${name(s.out)} = s[${s.state}].value;`];
    case 'write':
      return [`${indent}s[${s.state}].value = ${name(s.arg)};`];
    case 'forLoop':
      return [`${indent}const ${name(s.out)} = bst.transform.forLoop((${params(s.body)}) => {`, ...block(s.body, `${indent}  `),
        `${indent}  return ${name(s.body.result[0])};`, `${indent}}, ${s.xs.map(name).join(', ')});`];
    case 'scan':
      return [`${indent}const [${name(s.outs[0])}, ${name(s.outs[1])}] = bst.transform.scan((${params(s.body)}) => {`,
        ...block(s.body, `${indent}  `), `${indent}  return [${s.body.result.map(name).join(', ')}];`,
        `${indent}}, ${name(s.init)}, ${name(s.xs)}${s.opts === undefined ? '' : `, ${JSON.stringify(s.opts)}`});`];
    case 'gradScan':
      return [`${indent}const [${name(s.outs[0])}, ${name(s.outs[1])}] = bst.transform.grad((i: tf.Tensor, x: tf.Tensor) => {`,
        `${indent}  const [c, ys] = bst.transform.scan((${params(s.body)}) => {`,
        ...block(s.body, `${indent}    `), `${indent}    return [${s.body.result.map(name).join(', ')}];`,
        `${indent}  }, i, x${s.opts === undefined ? '' : `, ${JSON.stringify(s.opts)}`});`,
        `${indent}  return ys.dtype === 'float32' ? tf.add(tf.sum(c), tf.sum(ys)) : tf.sum(c);`,
        `${indent}}, { argnums: [0, 1] })(${name(s.init)}, ${name(s.xs)});`];
    case 'cond':
      return [`${indent}const ${name(s.out)} = bst.transform.cond(${name(s.pred)}, (${params(s.then)}) => {`,
        ...block(s.then, `${indent}  `), `${indent}  return ${name(s.then.result[0])};`, `${indent}}, (${params(s.else)}) => {`,
        ...block(s.else, `${indent}  `), `${indent}  return ${name(s.else.result[0])};`,
        `${indent}}, ${s.operands.map(name).join(', ')});`];
    case 'switch':
      return [`${indent}const ${name(s.out)} = bst.transform.switch(${name(s.index)}, [`, ...s.branches.flatMap((b) => [
        `${indent}  (${params(b)}) => {`, ...block(b, `${indent}    `), `${indent}    return ${name(b.result[0])};`, `${indent}  },`]),
      `${indent}], ${s.operands.map(name).join(', ')});`];
    case 'vmap':
      return [`${indent}const ${name(s.out)} = bst.transform.vmap((${params(s.body)}) => {`, ...block(s.body, `${indent}  `),
        `${indent}  return ${name(s.body.result[0])};`, `${indent}}, { inAxes: ${JSON.stringify(s.inAxes)} })(${s.args.map(name).join(', ')});`];
  }
}

function params(b: Block): string {
  return b.params.map((p) => `${name(p)}: tf.Tensor`).join(', ');
}

function block(b: Block, indent: string): string[] {
  return b.stmts.flatMap((s) => stmt(s, indent));
}

/** The standalone program reproducing `p` under the compiler switches `options`. */
export function printProgram(p: FuzzProgram, options: { fusion?: boolean; simd?: boolean; wasmKernels?: boolean }, title: string): string {
  const lines: string[] = [];
  lines.push(`// ${title}`);
  lines.push('// Run: node --conditions=brainstate-source -r ts-node/register/transpile-only this-file.ts [cpu|wasm]');
  if (options.fusion === false) lines.push("process.env.BRAINSTATE_FUSION = '0';");
  if (options.simd === false) lines.push("process.env.BRAINSTATE_SIMD = '0';");
  if (options.wasmKernels === false) lines.push("process.env.BRAINSTATE_WASM_KERNELS = '0';");
  lines.push("import * as tf from '@tensorflow/tfjs';", "import * as bst from 'brainstate-ts';", '');
  lines.push('const initial = () => [');
  for (const st of p.states) lines.push(`  new bst.HiddenState(${tensor(st)}),`);
  lines.push('];');
  lines.push('/** The function, over states `s`. */');
  lines.push('const make = (s: bst.HiddenState[]) => (' + p.args.map((_, i) => `${name(i)}: tf.Tensor`).join(', ') + '): tf.Tensor[] => {');
  for (const s of p.body) lines.push(...stmt(s, '  '));
  lines.push(`  return [${p.outputs.map(name).join(', ')}];`, '};');
  lines.push('/** The arguments of call c. */');
  lines.push('const args = (c: number, s: bst.HiddenState[]): tf.Tensor[] => [');
  p.args.forEach((a) => {
    if (a.kind === 'state') lines.push(`  s[${a.state}].value,`);
    else lines.push(`  [${a.calls.map(tensor).join(', ')}][c],`);
  });
  lines.push('];', '');
  lines.push(`const show = (t: tf.Tensor) => Array.from(t.dataSync(), (v) => (Object.is(v, -0) ? '-0' : String(v))).join(', ');`);
  lines.push('(async () => {');
  lines.push("  await bst.backend.init(process.argv[2] ?? 'wasm');");
  lines.push('  const se = initial();', '  const sj = initial();');
  lines.push('  const eager = make(se);', '  const jitted = bst.transform.jit(make(sj));');
  lines.push(`  for (let c = 0; c < ${p.calls}; c++) {`);
  lines.push('    const e = tf.tidy(() => eager(...args(c, se)).map((t) => tf.clone(t)));');
  lines.push('    const j = jitted(...args(c, sj));');
  lines.push('    e.forEach((t, i) => { if (show(t) !== show(j[i])) console.log(`call ${c} output ${i}: eager [${show(t)}] jit [${show(j[i])}]`); });');
  lines.push('    se.forEach((st, k) => { if (show(st.value) !== show(sj[k].value)) console.log(`call ${c} state ${k}: eager [${show(st.value)}] jit [${show(sj[k].value)}]`); });');
  lines.push('  }');
  lines.push("  console.log('traceCount', jitted.traceCount);");
  lines.push('})();');
  return lines.join('\n');
}
