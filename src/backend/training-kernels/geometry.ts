/**
 * Window geometry of a channels-last convolution or pooling over up to three spatial
 * axes (2-D is depth 1), from tfjs's own `computeConv2DInfo` / `computeConv3DInfo`
 * records, and the three loops the training kernels share: gathering transposed
 * patches (im2col), scattering patch gradients back (col2im), and max-pool routing.
 * Plain loops over typed arrays: they run on whatever memory the caller hands them.
 */
import * as tf from '@tensorflow/tfjs';

/** Sizes, strides, dilations and leading pads of one convolution / pooling window. */
export interface Geometry {
  B: number; D: number; H: number; W: number; C: number;
  OD: number; OH: number; OW: number; CO: number;
  sd: number; sh: number; sw: number;
  fd: number; fh: number; fw: number;
  dd: number; dh: number; dw: number;
  front: number; top: number; left: number;
}

/** From a 2-D info record (depth 1). */
export function geometry2d(i: tf.backend_util.Conv2DInfo): Geometry {
  return { B: i.batchSize, D: 1, H: i.inHeight, W: i.inWidth, C: i.inChannels, OD: 1, OH: i.outHeight, OW: i.outWidth,
    CO: i.outChannels, sd: 1, sh: i.strideHeight, sw: i.strideWidth, fd: 1, fh: i.filterHeight, fw: i.filterWidth,
    dd: 1, dh: i.dilationHeight, dw: i.dilationWidth, front: 0, top: i.padInfo.top, left: i.padInfo.left };
}

/** From a 3-D info record. */
export function geometry3d(i: tf.backend_util.Conv3DInfo): Geometry {
  return { B: i.batchSize, D: i.inDepth, H: i.inHeight, W: i.inWidth, C: i.inChannels, OD: i.outDepth, OH: i.outHeight,
    OW: i.outWidth, CO: i.outChannels, sd: i.strideDepth, sh: i.strideHeight, sw: i.strideWidth, fd: i.filterDepth,
    fh: i.filterHeight, fw: i.filterWidth, dd: i.dilationDepth, dh: i.dilationHeight, dw: i.dilationWidth,
    front: i.padInfo.front, top: i.padInfo.top, left: i.padInfo.left };
}

/** `K`: entries of one patch (`fd·fh·fw·C`). */
export const patchSize = (g: Geometry): number => g.fd * g.fh * g.fw * g.C;
/** Output positions per example (`OD·OH·OW`). */
export const outPerExample = (g: Geometry): number => g.OD * g.OH * g.OW;

/**
 * Fills `p` (`[K, M]`, `M = nb·OD·OH·OW`, zeros where the window is outside the
 * input) with the patches of examples `b0 .. b0 + nb` of `x`, transposed.
 */
export function im2colT(x: ArrayLike<number>, g: Geometry, b0: number, nb: number, p: Float32Array): void {
  const M = nb * outPerExample(g);
  p.fill(0);
  const { D, H, W, C } = g;
  for (let kd = 0; kd < g.fd; kd++) {
    for (let kh = 0; kh < g.fh; kh++) {
      for (let kw = 0; kw < g.fw; kw++) {
        for (let ch = 0; ch < C; ch++) {
          const row = (((kd * g.fh + kh) * g.fw + kw) * C + ch) * M;
          for (let b = 0; b < nb; b++) {
            const xb = (b0 + b) * D * H * W * C + ch;
            for (let od = 0; od < g.OD; od++) {
              const id = od * g.sd + kd * g.dd - g.front;
              if (id < 0 || id >= D) continue;
              for (let oh = 0; oh < g.OH; oh++) {
                const ih = oh * g.sh + kh * g.dh - g.top;
                if (ih < 0 || ih >= H) continue;
                const base = row + ((b * g.OD + od) * g.OH + oh) * g.OW;
                const xrow = xb + (id * H + ih) * W * C;
                for (let ow = 0; ow < g.OW; ow++) {
                  const iw = ow * g.sw + kw * g.dw - g.left;
                  if (iw >= 0 && iw < W) p[base + ow] = x[xrow + iw * C];
                }
              }
            }
          }
        }
      }
    }
  }
}

/**
 * Adds patch gradients `cols` (`[M, K]`, row-major, examples `b0 .. b0 + nb`) back
 * onto the input gradient `dx` (NDHWC), the transpose of {@link im2colT}.
 */
export function col2imAdd(cols: ArrayLike<number>, g: Geometry, b0: number, nb: number, dx: Float32Array): void {
  const K = patchSize(g);
  const { D, H, W, C } = g;
  let m = 0;
  for (let b = 0; b < nb; b++) {
    const xb = (b0 + b) * D * H * W * C;
    for (let od = 0; od < g.OD; od++) {
      for (let oh = 0; oh < g.OH; oh++) {
        for (let ow = 0; ow < g.OW; ow++, m++) {
          const cm = m * K;
          for (let kd = 0; kd < g.fd; kd++) {
            const id = od * g.sd + kd * g.dd - g.front;
            if (id < 0 || id >= D) continue;
            for (let kh = 0; kh < g.fh; kh++) {
              const ih = oh * g.sh + kh * g.dh - g.top;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < g.fw; kw++) {
                const iw = ow * g.sw + kw * g.dw - g.left;
                if (iw < 0 || iw >= W) continue;
                const src = cm + ((kd * g.fh + kh) * g.fw + kw) * C;
                const dst = xb + ((id * H + ih) * W + iw) * C;
                for (let ch = 0; ch < C; ch++) dx[dst + ch] += cols[src + ch];
              }
            }
          }
        }
      }
    }
  }
}

/**
 * The max-pooling gradient: each window's `dy` goes to the window's first largest
 * input element (padding never wins), accumulated where windows overlap.
 */
export function maxPoolBackprop(x: ArrayLike<number>, dy: ArrayLike<number>, g: Geometry, dx: Float32Array): void {
  const { D, H, W, C } = g;
  dx.fill(0);
  let o = 0;
  for (let b = 0; b < g.B; b++) {
    const xb = b * D * H * W * C;
    for (let od = 0; od < g.OD; od++) {
      for (let oh = 0; oh < g.OH; oh++) {
        for (let ow = 0; ow < g.OW; ow++) {
          for (let ch = 0; ch < C; ch++, o++) {
            let best = -Infinity;
            let at = -1;
            for (let kd = 0; kd < g.fd; kd++) {
              const id = od * g.sd + kd * g.dd - g.front;
              if (id < 0 || id >= D) continue;
              for (let kh = 0; kh < g.fh; kh++) {
                const ih = oh * g.sh + kh * g.dh - g.top;
                if (ih < 0 || ih >= H) continue;
                for (let kw = 0; kw < g.fw; kw++) {
                  const iw = ow * g.sw + kw * g.dw - g.left;
                  if (iw < 0 || iw >= W) continue;
                  const idx = xb + ((id * H + ih) * W + iw) * C + ch;
                  if (at < 0 || x[idx] > best) {
                    best = x[idx];
                    at = idx;
                  }
                }
              }
            }
            if (at >= 0) dx[at] += dy[o];
          }
        }
      }
    }
  }
}

/**
 * The filter gradient by direct accumulation, `dW[k, c, o] += x[window(k), c] · dy[o]`
 * over every output position, innermost over the output channels (contiguous in both
 * `dy` and `dW`). For backends whose matrix product is JavaScript too (tfjs-cpu), this
 * beats building patches.
 */
export function filterGradientDirect(x: ArrayLike<number>, dy: ArrayLike<number>, g: Geometry, dw: Float32Array): void {
  const { D, H, W, C, CO } = g;
  dw.fill(0);
  let row = 0;
  for (let b = 0; b < g.B; b++) {
    const xb = b * D * H * W * C;
    for (let od = 0; od < g.OD; od++) {
      for (let oh = 0; oh < g.OH; oh++) {
        for (let ow = 0; ow < g.OW; ow++, row += CO) {
          for (let kd = 0; kd < g.fd; kd++) {
            const id = od * g.sd + kd * g.dd - g.front;
            if (id < 0 || id >= D) continue;
            for (let kh = 0; kh < g.fh; kh++) {
              const ih = oh * g.sh + kh * g.dh - g.top;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < g.fw; kw++) {
                const iw = ow * g.sw + kw * g.dw - g.left;
                if (iw < 0 || iw >= W) continue;
                const xi = xb + ((id * H + ih) * W + iw) * C;
                const wk = ((kd * g.fh + kh) * g.fw + kw) * C * CO;
                for (let ch = 0; ch < C; ch++) {
                  const xv = x[xi + ch];
                  if (xv === 0) continue;
                  const wb = wk + ch * CO;
                  for (let o = 0; o < CO; o++) dw[wb + o] += xv * dy[row + o];
                }
              }
            }
          }
        }
      }
    }
  }
}
