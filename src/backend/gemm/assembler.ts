/**
 * A small structured WebAssembly assembler for the GEMM module: several functions that
 * call each other, an imported memory that may be shared (threads), and helpers for the
 * loops and the handful of integer and SIMD instructions the generator uses. It builds
 * on the byte-level writer of the fused kernels (`src/util/wasm-binary.ts`).
 */
import { F32, I32, memarg, sleb, uleb, V128 } from '../../util/wasm-binary';

export { F32, I32, V128 };

/** Bytes of code. */
export type Code = number[];

/** One function of a module: its signature, locals and body. */
export interface FunctionDef {
  readonly name: string;
  readonly params: readonly number[];
  readonly results: readonly number[];
  readonly locals: readonly number[];
  readonly body: Code;
  /** Exported under `name` (internal helpers are not). */
  readonly exported: boolean;
}

/** The imported memory: `env.memory`, shared (with a maximum, as threads need) or not. */
export interface MemoryImport {
  readonly shared: boolean;
  /** Maximum pages; required when shared. */
  readonly maxPages?: number;
}

function vec(items: Code[]): Code {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: Code): Code {
  return [id, ...uleb(body.length), ...body];
}

function utf8(s: string): Code {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

/** The bytes of a module importing `env.memory` and defining `fns` (function i has index i). */
export function assemble(memory: MemoryImport, fns: readonly FunctionDef[]): Uint8Array {
  const types = fns.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...vec(f.results.map((r) => [r]))]);
  const limits = memory.shared ? [0x03, ...uleb(1), ...uleb(memory.maxPages ?? 65536)] : [0x00, ...uleb(1)];
  const imports = vec([[...utf8('env'), ...utf8('memory'), 0x02, ...limits]]);
  const exports = fns.flatMap((f, i) => (f.exported ? [[...utf8(f.name), 0x00, ...uleb(i)]] : []));
  const bodies = fns.map((f) => {
    const code = [...vec(f.locals.map((t) => [...uleb(1), t])), ...f.body, 0x0b];
    return [...uleb(code.length), ...code];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, vec(fns.map((_, i) => uleb(i)))),
    ...section(7, vec(exports)),
    ...section(10, vec(bodies)),
  ]);
}

/**
 * Builds one function: named parameters, locals allocated on demand, and the
 * instructions as methods returning bytes (composed with spreads).
 */
export class FunctionBuilder {
  private readonly localTypes: number[] = [];
  private readonly nParams: number;

  constructor(readonly name: string, readonly params: readonly number[], readonly results: readonly number[] = []) {
    this.nParams = params.length;
  }

  /** A new local of type `t`; returns its index. */
  local(t: number): number {
    this.localTypes.push(t);
    return this.nParams + this.localTypes.length - 1;
  }

  /** The finished definition. */
  done(body: Code, exported = true): FunctionDef {
    return { name: this.name, params: this.params, results: this.results, locals: this.localTypes, body, exported };
  }
}

/** Instructions (each returns its bytes). */
export const w = {
  get: (i: number): Code => [0x20, ...uleb(i)],
  set: (i: number): Code => [0x21, ...uleb(i)],
  tee: (i: number): Code => [0x22, ...uleb(i)],
  i32: (v: number): Code => [0x41, ...sleb(v)],
  call: (f: number): Code => [0x10, ...uleb(f)],
  add: [0x6a] as Code,
  sub: [0x6b] as Code,
  mul: [0x6c] as Code,
  divS: [0x6d] as Code,
  and: [0x71] as Code,
  shl: [0x74] as Code,
  eqz: [0x45] as Code,
  eq: [0x46] as Code,
  ne: [0x47] as Code,
  ltS: [0x48] as Code,
  gtS: [0x4a] as Code,
  leS: [0x4c] as Code,
  geS: [0x4e] as Code,
  select: [0x1b] as Code,
  f32Load: (offset = 0): Code => [0x2a, ...memarg(2, offset)],
  f32Store: (offset = 0): Code => [0x38, ...memarg(2, offset)],
  f32Add: [0x92] as Code,
  f32Mul: [0x94] as Code,
  f32Const0: [0x43, 0, 0, 0, 0] as Code,
  /** `memory.fill` (bulk memory): dst, value, n bytes on the stack. */
  memoryFill: [0xfc, ...uleb(11), 0x00] as Code,
  /** `memory.copy`: dst, src, n bytes on the stack. */
  memoryCopy: [0xfc, ...uleb(10), 0x00, 0x00] as Code,
  v128Load: (offset = 0, align = 4): Code => [0xfd, ...uleb(0x00), ...memarg(align, offset)],
  v128Store: (offset = 0, align = 4): Code => [0xfd, ...uleb(0x0b), ...memarg(align, offset)],
  load32Splat: (offset = 0): Code => [0xfd, ...uleb(0x09), ...memarg(2, offset)],
  f32x4Splat: [0xfd, ...uleb(0x13)] as Code,
  f32x4Add: [0xfd, ...uleb(0xe4)] as Code,
  f32x4Mul: [0xfd, ...uleb(0xe6)] as Code,
  f32x4Max: [0xfd, ...uleb(0xe9)] as Code,
  /** Relaxed SIMD `f32x4.relaxed_madd(a, b, c) = a * b + c`, fused or not as the hardware does it. */
  f32x4RelaxedMadd: [0xfd, ...uleb(0x105)] as Code,
  v128Zero: [0xfd, ...uleb(0x0c), ...new Array<number>(16).fill(0)] as Code,
  /** `if (cond) then else otherwise`, without a result: `cond` is code leaving an i32. */
  if: (cond: Code, then: Code, otherwise?: Code): Code =>
    [...cond, 0x04, 0x40, ...then, ...(otherwise === undefined ? [] : [0x05, ...otherwise]), 0x0b],
  /**
   * `for (i = from; i < to; i += step) body`: `to` is code leaving the bound on the stack;
   * step 0: the body advances `i` itself.
   */
  forLoop: (i: number, from: Code, to: Code, step: number, body: Code): Code => [
    ...from, 0x21, ...uleb(i),
    0x02, 0x40, 0x03, 0x40,
    0x20, ...uleb(i), ...to, 0x4e, 0x0d, ...uleb(1), // i >= to: leave
    ...body,
    ...(step === 0 ? [] : [0x20, ...uleb(i), 0x41, ...sleb(step), 0x6a, 0x21, ...uleb(i)]),
    0x0c, ...uleb(0),
    0x0b, 0x0b,
  ],
  /** `do { body } while (--n > 0)` on local `n` (n >= 1 on entry). */
  countDown: (n: number, body: Code): Code => [
    0x03, 0x40,
    ...body,
    0x20, ...uleb(n), 0x41, ...sleb(1), 0x6b, 0x22, ...uleb(n), 0x0d, ...uleb(0),
    0x0b,
  ],
};

/** `local += delta` for an i32 local and a constant. */
export function bump(i: number, delta: number): Code {
  return [...w.get(i), ...w.i32(delta), ...w.add, ...w.set(i)];
}

/** `local += other` for two i32 locals. */
export function bumpBy(i: number, other: number): Code {
  return [...w.get(i), ...w.get(other), ...w.add, ...w.set(i)];
}
