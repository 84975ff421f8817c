import * as bst from 'brainstate-ts';
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
async function main() {
  await bst.backend.init('wasm');
  const conn = new bst.event.FixedProb(320000, 400000, 80 / 400000, 0.6, { seed: 42 });
  const indptr = (conn as any).indptr.dataSync() as Int32Array; const real = (conn as any).indices.dataSync() as Int32Array;
  let seed = 1; const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
  const synth = new Int32Array(real.length);
  for (let i = 0; i < 320000; i++) { const row = []; for (let k = 0; k < 80; k++) row.push(Math.floor(rnd() * 400000)); row.sort((a, b) => a - b); synth.set(row, i * 80); }
  const realCopy = real.slice(); const shuf = new Int32Array(real.length); for (let i = 0; i < 320000; i++) shuf.set(real.subarray(((i * 7919) % 320000) * 80, ((i * 7919) % 320000) * 80 + 80), i * 80);
  const out = new Float32Array(400000);
  const big = new Float32Array(8e6);
  const rows = new Int32Array(768);
  const sc = (indices: Int32Array) => { for (let r = 0; r < rows.length; r++) { const i = rows[r]; const end = indptr[i + 1]; for (let k = indptr[i]; k < end; k++) out[indices[k]] += 0.6; } };
  for (let rep = 0; rep < 3; rep++) for (const [name, ind] of [['real', real], ['synth', synth], ['realcopy', realCopy], ['shuffledrows', shuf]] as const) {
    let t = 0;
    for (let R = 0; R < 50; R++) {
      for (let r = 0; r < rows.length; r++) rows[r] = Math.floor(rnd() * 320000); rows.sort();
      for (let i = 0; i < big.length; i += 4) big[i] += 1;
      const c0 = cpu(); sc(ind); t += cpu() - c0;
    }
    console.log(name, (t / 50).toFixed(4), 'ms', (t / 50 / 61440 * 1e6).toFixed(2), 'ns/add');
  }
  let mono = 0; for (let i = 0; i < 1000; i++) for (let k = indptr[i] + 1; k < indptr[i + 1]; k++) if (real[k] < real[k - 1]) mono++;
  console.log('unsorted pairs in first 1000 rows', mono);
}
main();
