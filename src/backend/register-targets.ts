/**
 * Registers every backend target brainstate-ts ships (each folder's index registers its
 * record on import). A new backend adds its folder and one line here.
 */
import './tensorflow';
import './webgpu/target';
import './wasm';
import './webgl';
import './cpu';
