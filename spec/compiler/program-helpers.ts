/**
 * Building small programs by hand for pass specs, and printing them for snapshots.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelNode, Program, ValueType } from '../../src/compiler/ir';
import { printProgram } from '../../src/compiler/print';

export const f32 = (...shape: number[]): ValueType => ({ shape, dtype: 'float32' });
export const typed = (dtype: tf.DataType, ...shape: number[]): ValueType => ({ shape, dtype });

/** A kernel node; unary kernels name their input `x`, binary ones `a` and `b`. */
export function node(kernel: string, inputs: number[], outputs: number[], attrs: Record<string, unknown> = {},
  folded?: tf.Tensor[]): KernelNode {
  return { kernel, inputNames: inputs.length === 1 ? ['x'] : inputs.map((_, i) => 'ab'[i] ?? `i${i}`), inputs, attrs, outputs, folded };
}

/** A program whose values 0..numArgs-1 are its arguments, returning `outputs`. */
export function program(values: ValueType[], nodes: KernelNode[], outputs: number[],
  constants: Program['constants'] = [], numArgs = 1): Program {
  const inputs = [...Array(numArgs).keys()].map((i) => ({ value: i, source: { kind: 'arg' as const, leaf: i } }));
  return {
    name: 'p', values, inputs, constants, nodes,
    outputTree: { kind: 'array', children: outputs.map(() => ({ kind: 'leaf' as const })) },
    outputs: outputs.map((value) => ({ kind: 'value' as const, value })), writes: [],
  };
}

/** The program as printed by `lower().toString()`. */
export function print(p: Program): string {
  return printProgram(p, (slot) => ({ label: `slot ${slot}`, kind: 'State' }), (id) => {
    const c = p.constants.find((k) => k.value === id)!;
    return JSON.stringify(c.tensor.arraySync());
  });
}

/** A kept constant (the program owns it). */
export const konst = (value: number, values: Program['constants'] extends readonly (infer C)[] ? C[] : never, id: number,
  shape: number[] = []): void => {
  values.push({ value: id, tensor: tf.keep(tf.fill(shape, value)) });
};
