/**
 * Plain SVG plots for the spiking samples: a spike raster and population rates.
 */

/** Layout of a raster. */
export interface RasterLayout {
  steps: number;
  neurons: number;
  /** Rows from this index on are inhibitory (drawn red); the rest blue. */
  firstInhibitory: number;
  dt: number;
  title?: string;
}

/** A raster of `[step, row]` spikes as an SVG document (one 1.2 px square per spike). */
export function rasterSvg(spikes: readonly (readonly [number, number])[], layout: RasterLayout): string {
  const w = 800;
  const h = 400;
  const dots = spikes.map(([t, i]) => `<rect x="${(40 + (t / layout.steps) * (w - 60)).toFixed(1)}" ` +
    `y="${(20 + (i / layout.neurons) * (h - 60)).toFixed(1)}" width="1.2" height="1.2" ` +
    `fill="${i < layout.firstInhibitory ? '#1f5fbf' : '#c0392b'}"/>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">`,
    '<rect width="100%" height="100%" fill="white"/>',
    layout.title === undefined ? '' : `<text x="${w / 2}" y="14" text-anchor="middle">${layout.title}</text>`,
    ...dots,
    `<text x="${w / 2}" y="${h - 12}" text-anchor="middle">time (ms), 0 to ${(layout.steps * layout.dt).toFixed(0)}</text>`,
    `<text x="12" y="${h / 2}" transform="rotate(-90 12 ${h / 2})" text-anchor="middle">neuron (E blue, I red)</text>`,
    '</svg>',
  ].join('\n');
}

/** One population's spike counts per step. */
export interface RateSeries {
  name: string;
  color: string;
  counts: ArrayLike<number>;
  /** Neurons in the population. */
  size: number;
}

/** Population rates (Hz) in bins of `binSteps` steps, one polyline per population, as an SVG document. */
export function ratePlotSvg(series: readonly RateSeries[], opts: { dt: number; binSteps: number }): string {
  const w = 800;
  const h = 300;
  const binMs = opts.dt * opts.binSteps;
  const rates = series.map((s) => {
    const bins = Math.floor(s.counts.length / opts.binSteps);
    const r = new Array<number>(bins).fill(0);
    for (let b = 0; b < bins; b++) {
      let c = 0;
      for (let k = 0; k < opts.binSteps; k++) c += s.counts[b * opts.binSteps + k];
      r[b] = (c / s.size) / (binMs / 1000);
    }
    return r;
  });
  const bins = Math.max(1, ...rates.map((r) => r.length));
  const top = Math.max(1, ...rates.flat());
  const x = (b: number) => (50 + (b / bins) * (w - 70)).toFixed(1);
  const y = (r: number) => (h - 40 - (r / top) * (h - 70)).toFixed(1);
  const lines = rates.map((r, k) => `<polyline fill="none" stroke="${series[k].color}" stroke-width="1" points="` +
    `${r.map((v, b) => `${x(b)},${y(v)}`).join(' ')}"/>`);
  const legend = series.map((s, k) => `<text x="${w - 120}" y="${20 + 14 * k}" fill="${s.color}">${s.name}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">`,
    '<rect width="100%" height="100%" fill="white"/>',
    ...lines,
    ...legend,
    `<text x="${w / 2}" y="${h - 10}" text-anchor="middle">time (ms), bins of ${binMs} ms</text>`,
    `<text x="14" y="${h / 2}" transform="rotate(-90 14 ${h / 2})" text-anchor="middle">rate (Hz), max ${top.toFixed(0)}</text>`,
    '</svg>',
  ].join('\n');
}
