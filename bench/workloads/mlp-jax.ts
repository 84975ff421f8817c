/**
 * The MLP 784-256-10 SGD step (ReLU, softmax cross-entropy, batch 128) in @jax-js/jax,
 * jitted on its wasm device: the peer figure for bench/workloads/mlp.ts.
 */
import type { Case, Variant } from '../harness';
import { JaxArray, loadJax } from '../peers';

type Params = { w1: JaxArray; b1: JaxArray; w2: JaxArray; b2: JaxArray };
interface JaxExtra {
  numpy: { matmul(a: JaxArray, b: JaxArray): JaxArray; zeros(s: number[], o?: { dtype: string }): JaxArray };
  nn: { relu(x: JaxArray): JaxArray; logSoftmax(x: JaxArray, axis: number): JaxArray; oneHot(x: JaxArray, n: number): JaxArray };
  random: { key(s: number): JaxArray; split(k: JaxArray, n: number): JaxArray[]; normal(k: JaxArray, s: number[]): JaxArray;
    uniform(k: JaxArray, s: number[]): JaxArray };
  jit<F>(f: F): F;
  valueAndGrad<F>(f: F): (...a: unknown[]) => [JaxArray, Params];
}
type Sum = JaxArray & { sum(): JaxArray };

/** The jax-js variant of the MLP step, or undefined when @jax-js/jax does not load. */
export async function jaxMlpVariant(batch: number): Promise<Variant | undefined> {
  const jax = (await loadJax()) as unknown as JaxExtra | null;
  if (jax === null) return undefined;
  const { numpy: np, nn, random } = jax;
  const [k1, k2, k3] = random.split(random.key(0), 3);
  let params: Params = { w1: random.normal(k1, [784, 256]).mul(0.05), b1: np.zeros([256]),
    w2: random.normal(k2, [256, 10]).mul(0.05), b2: np.zeros([10]) };
  const x = random.uniform(k3, [batch, 784]);
  const y = nn.oneHot(np.zeros([batch], { dtype: 'int32' }), 10);
  const loss = (p: Params, xb: JaxArray, yb: JaxArray) => {
    const h = nn.relu(np.matmul(xb, p.w1).add(p.b1));
    const o = np.matmul(h, p.w2).add(p.b2);
    return (nn.logSoftmax(o, -1).mul(yb) as Sum).sum().mul(-1 / batch);
  };
  // jax-js moves arrays into calls: `.ref` keeps one for later use.
  const step = jax.jit((p: Params, xb: JaxArray, yb: JaxArray): [Params, JaxArray] => {
    const [l, g] = jax.valueAndGrad(loss)({ w1: p.w1.ref, b1: p.b1.ref, w2: p.w2.ref, b2: p.b2.ref }, xb, yb);
    return [{ w1: p.w1.sub(g.w1.mul(0.01)), b1: p.b1.sub(g.b1.mul(0.01)), w2: p.w2.sub(g.w2.mul(0.01)),
      b2: p.b2.sub(g.b2.mul(0.01)) }, l];
  });
  return {
    name: 'jax-js jit',
    run(k) {
      for (let r = 0; r < k; r++) {
        const [next, l] = step(params, x.ref, y.ref);
        params = next;
        if (r === k - 1) l.dataSync(); else l.dispose();
      }
    },
  };
}

/** `c` with the jax-js variant added after our own. */
export async function withJaxMlp(c: Case, batch: number): Promise<Case> {
  // A case that times jax-js itself (bench/workloads/mlp.ts, on its own weights) keeps its
  // variant: two variants of one name would pool their samples into one median.
  if (c.variants.some((x) => x.name === 'jax-js jit')) return c;
  const v = await jaxMlpVariant(batch);
  return v === undefined ? c : { ...c, variants: [...c.variants, v] };
}
