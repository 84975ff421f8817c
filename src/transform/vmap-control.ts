/**
 * Batching control-flow nodes of a per-lane program (installed into vmap-interpret.ts).
 */
import { TraceError } from '../errors';
import { setControlBatcher } from './vmap-interpret';

setControlBatcher((node, _inputs, _size, what) => {
  throw new TraceError(`${what}: ${node.kernel} is not batched yet`);
});
