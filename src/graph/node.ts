/**
 * What the graph layer calls a node: the class whose instances the walker descends into
 * as modules (`nn.Module`). The graph never imports `nn/` (it sits below it); instead
 * `nn/module.ts` names its class here by augmenting {@link NodeTypes}, so the graph's
 * public signatures (`graph.nodes(...)` returns a `FlatDict<Module>`) keep the precise
 * type without an upward import.
 */

/** Augmented by `nn/module.ts` with `{ node: Module }`. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface NodeTypes {}

/** The module class (`nn.Module`) once `nn/` is loaded; `object` before. */
export type GraphNode = NodeTypes extends { readonly node: infer N } ? N : object;
