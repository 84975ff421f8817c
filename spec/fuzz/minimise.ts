/**
 * Shrinks a failing program while it still fails: drops outputs, state writes and
 * statements (a statement whose result is used is bypassed: its uses read one of its
 * arguments instead), until no single deletion keeps the failure.
 */
import { Block, FuzzProgram, Stmt, used } from './program';

type Fails = (p: FuzzProgram) => Promise<boolean>;

function renameIn(stmts: readonly Stmt[], from: number, to: number): Stmt[] {
  const r = (id: number) => (id === from ? to : id);
  const blk = (b: Block): Block => ({ params: b.params, stmts: renameIn(b.stmts, from, to), result: b.result.map(r) });
  return stmts.map((s): Stmt => {
    switch (s.k) {
      case 'op': return { ...s, args: s.args.map(r) };
      case 'write': return { ...s, arg: r(s.arg) };
      case 'forLoop': return { ...s, xs: s.xs.map(r), body: blk(s.body) };
      case 'scan': return { ...s, init: r(s.init), xs: r(s.xs), body: blk(s.body) };
      case 'gradScan': return { ...s, init: r(s.init), xs: r(s.xs), body: blk(s.body) };
      case 'cond': return { ...s, pred: r(s.pred), operands: s.operands.map(r), then: blk(s.then), else: blk(s.else) };
      case 'switch': return { ...s, index: r(s.index), operands: s.operands.map(r), branches: s.branches.map(blk) };
      case 'vmap': return { ...s, args: s.args.map(r), body: blk(s.body) };
      default: return s;
    }
  });
}

/** Statement lists one deletion smaller than `stmts` (whose results `live` reads), with `live` renamed alike. */
export function* smallerStmts(stmts: readonly Stmt[], live: readonly number[]): Generator<[Stmt[], number[]]> {
  for (let i = stmts.length - 1; i >= 0; i--) {
    const s = stmts[i];
    const rest = [...stmts.slice(0, i), ...stmts.slice(i + 1)];
    if (s.k === 'write') {
      yield [rest, [...live]];
      continue;
    }
    const outs = s.k === 'scan' || s.k === 'gradScan' ? [...s.outs] : [s.out];
    const stillUsed = rest.some((t) => used(t).some((u) => outs.includes(u))) || live.some((o) => outs.includes(o));
    if (!stillUsed) {
      yield [rest, [...live]];
      continue;
    }
    // Bypass: the uses read one of the statement's own inputs (when it has one result).
    if (outs.length === 1) {
      const inputs = s.k === 'op' ? s.args : s.k === 'forLoop' ? s.xs : s.k === 'cond' || s.k === 'switch' ? s.operands : [];
      for (const a of new Set(inputs)) yield [renameIn(rest, outs[0], a), live.map((o) => (o === outs[0] ? a : o))];
    }
    // Inside a loop or branch body.
    const blocks: [Block, (b: Block) => Stmt][] = s.k === 'forLoop' || s.k === 'vmap' ? [[s.body, (b) => ({ ...s, body: b })]]
      : s.k === 'scan' || s.k === 'gradScan' ? [[s.body, (b) => ({ ...s, body: b })]]
        : s.k === 'cond' ? [[s.then, (b) => ({ ...s, then: b })], [s.else, (b) => ({ ...s, else: b })]]
          : s.k === 'switch' ? s.branches.map((br, j): [Block, (b: Block) => Stmt] =>
            [br, (b) => ({ ...s, branches: s.branches.map((x, q) => (q === j ? b : x)) })]) : [];
    for (const [b, rebuild] of blocks) {
      for (const [bs, res] of smallerStmts(b.stmts, b.result)) {
        yield [[...stmts.slice(0, i), rebuild({ params: b.params, stmts: bs, result: res }), ...stmts.slice(i + 1)], [...live]];
      }
    }
  }
}

/** Candidate programs one deletion smaller than `p`. */
export function* smaller(p: FuzzProgram): Generator<FuzzProgram> {
  if (p.outputs.length > 1) {
    for (let i = 0; i < p.outputs.length; i++) {
      const shift = (k: number) => (k > i ? k - 1 : k);
      yield { ...p, outputs: p.outputs.filter((_, k) => k !== i),
        approxOutputs: (p.approxOutputs ?? []).filter((k) => k !== i).map(shift) };
    }
  }
  for (const [body, outputs] of smallerStmts(p.body, p.outputs)) yield { ...p, body, outputs };
}

/** The smallest program reachable by single deletions that still `fails` (at most `budget` checks). */
export async function minimise(p: FuzzProgram, fails: Fails, budget = 400): Promise<FuzzProgram> {
  let best = p;
  let checks = 0;
  for (let progress = true; progress && checks < budget;) {
    progress = false;
    for (const q of smaller(best)) {
      if (++checks > budget) break;
      if (await fails(q)) {
        best = q;
        progress = true;
        break;
      }
    }
  }
  return best;
}
