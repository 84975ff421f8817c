/**
 * Prints a {@link Program} as stable text, one definition per line, like a jaxpr:
 *
 * ```
 * program softplus
 *   in    a:f32[7]  arg 0
 *   const b:f32[] = 0
 *   let   c:f32[7] = Abs(a)
 *   ...
 *   out   (h)
 *   write sum <- i
 * ```
 */
import { smallConstantValues } from './constants';
import type { KernelNode, Program, ValueId, ValueType } from './ir';

const DTYPE_SHORT: Record<string, string> = { float32: 'f32', int32: 'i32', bool: 'bool', complex64: 'c64', string: 'str' };

/** `f32[2,3]`. */
export function typeText(t: ValueType): string {
  return `${DTYPE_SHORT[t.dtype] ?? t.dtype}[${t.shape.join(',')}]`;
}

/** Value names in order of definition: a, b, ..., z, ba, bb, ... */
function nameOf(index: number): string {
  let s = '';
  let n = index;
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26);
  } while (n > 0);
  return s;
}

function attrText(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(attrText).join(',')}]`;
  if (ArrayBuffer.isView(v)) return `[${Array.from(v as unknown as ArrayLike<number>).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${k}=${attrText((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return typeof v === 'string' ? v : String(v);
}

function fusedText(n: KernelNode, name: (v: ValueId) => string): string {
  const spec = n.fused!;
  const nIn = spec.inputs.length;
  let k = 0;
  const inputNames = spec.inputs.map((inp) => (inp.mode === 'literal' ? String(inp.value) : name(n.inputs[k++])));
  const ref = (r: number): string => (r < nIn ? inputNames[r] : `t${r - nIn}`);
  const ops = spec.ops.map((op, j) => {
    const keys = Object.keys(op.attrs).filter((a) => op.attrs[a] != null).sort();
    const attrs = keys.length === 0 ? '' : `{${keys.map((a) => `${a}=${attrText(op.attrs[a])}`).join(', ')}}`;
    return `t${j}=${op.kernel}${attrs}(${op.args.map(ref).join(', ')})`;
  });
  return `Fused(${n.inputs.map(name).join(', ')}) { ${ops.join('; ')} -> ${spec.outputs.map(ref).join(', ')} }`;
}

function controlText(n: KernelNode, name: (v: ValueId) => string, slotName: SlotName,
  constantText: (p: Program, id: ValueId) => string): string {
  const c = n.control!;
  const head = c.kind === 'scan' ? `Scan{length=${c.length}, carry=${c.carryArgs.length}, xs=${c.xArgs.length}${c.reverse === true ? ', reverse' : ''}` +
    `${c.firstRows === undefined ? '' : `, firstRows=[${c.firstRows.join(',')}]`}` +
    `${c.foundInvariants === undefined ? '' : `, foundInvariants=[${c.foundInvariants.args.join(',')}]` +
      `@${c.foundInvariants.found},${c.foundInvariants.from}`}` +
    `${c.foundXs === undefined ? '' : `, foundXs=[${c.foundXs.args.join(',')}]@${c.foundXs.found},${c.foundXs.from}`}}`
    : c.kind === 'while' ? `While{carry=${c.bodyCarryArgs.length}}` : 'Cond';
  const subs = c.kind === 'scan' ? [['body', c.body]] as const : c.kind === 'while' ? [['cond', c.cond], ['body', c.body]] as const
    : c.branches.length === 2 ? [['false', c.branches[0]], ['true', c.branches[1]]] as const
      : c.branches.map((b, k) => [`branch ${k}`, b] as const);
  const inner = subs.map(([label, sub]) => `    ${label}:\n` +
    printProgram(sub, slotName, (id) => constantText(sub, id)).split('\n').map((l) => `      ${l}`).join('\n'));
  return `${head}(${n.inputs.map(name).join(', ')})\n${inner.join('\n')}`;
}

function kernelText(n: KernelNode, name: (v: ValueId) => string): string {
  if (n.fused !== undefined) return fusedText(n, name);
  if (n.fusedParts !== undefined) {
    // Each part as the Fused kernel it was, over its own inputs.
    const parts = n.fusedParts.map((part, m) => fusedText({ ...n, inputs: part.inputs.map((k) => n.inputs[k]), fused: part.spec,
      outputs: [n.outputs[m]] }, name));
    return `FusedParts(${n.inputs.map(name).join(', ')}) [ ${parts.join(' | ')} ]`;
  }
  const keys = Object.keys(n.attrs).filter((k) => n.attrs[k] !== undefined && n.attrs[k] !== null).sort();
  const attrs = keys.length === 0 ? '' : `{${keys.map((k) => `${k}=${attrText(n.attrs[k])}`).join(', ')}}`;
  const args = n.inputs.map((v) => (v < 0 ? '_' : name(v)));
  return `${n.kernel}${attrs}(${args.join(', ')})`;
}

/** Flat values as nested arrays of `shape` (as `arraySync` gives them). */
function nest(flat: number[], shape: readonly number[]): unknown {
  if (shape.length === 0) return flat[0];
  const n = flat.length / shape[0];
  return Array.from({ length: shape[0] }, (_, i) => nest(flat.slice(i * n, (i + 1) * n), shape.slice(1)));
}

/** A constant's values when it has at most 6 elements, else its size. */
export function defaultConstantText(p: Program, id: ValueId): string {
  const c = p.constants.find((k) => k.value === id)!;
  if (c.tensor.size > 6) return `<${c.tensor.size} values>`;
  const flat = smallConstantValues(c.tensor); // on webgpu: from the trace, not read back from the GPU
  return flat === undefined ? `<${c.tensor.size} values>` : JSON.stringify(nest(Array.from(flat), c.tensor.shape));
}

/** Names state slot `slot` for printing: its label (its path when known) and its kind. */
export type SlotName = (slot: number) => { readonly label: string; readonly kind: string };

/**
 * The program as text. `slotName` names the states behind the program's state slots.
 */
export function printProgram(p: Program, slotName: SlotName,
  constantText: (id: ValueId) => string = (id) => defaultConstantText(p, id)): string {
  const subConstText = defaultConstantText;
  const names = new Map<ValueId, string>();
  const name = (v: ValueId): string => {
    let s = names.get(v);
    if (s === undefined) {
      s = nameOf(names.size);
      names.set(v, s);
    }
    return s;
  };
  const decl = (v: ValueId): string => `${name(v)}:${typeText(p.values[v])}`;
  const lines = [`program ${p.name}`];
  for (const i of p.inputs) {
    const src = i.source.kind === 'arg' ? `arg ${i.source.leaf}` :
      `state ${slotName(i.source.slot).label} (${slotName(i.source.slot).kind})` + (i.source.leaf > 0 ? ` leaf ${i.source.leaf}` : '');
    lines.push(`  in    ${decl(i.value)}  ${src}`);
  }
  for (const c of p.constants) lines.push(`  const ${decl(c.value)} = ${constantText(c.value)}`);
  for (const n of p.nodes) {
    const outs = n.outputs.map(decl).join(' ');
    const text = n.control !== undefined ? controlText(n, name, slotName, subConstText) : kernelText(n, name);
    lines.push(`  let   ${outs} = ${text}`);
  }
  const outs = p.outputs.map((o) => (o.kind === 'value' ? name(o.value) : JSON.stringify(o.value) ?? String(o.value)));
  lines.push(`  out   (${outs.join(', ')})`);
  for (const w of p.writes) lines.push(`  write ${slotName(w.slot).label} <- ${w.values.map(name).join(', ')}`);
  return lines.join('\n');
}
