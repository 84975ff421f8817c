import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';
import * as bst from '../../src';
import { Big, bigValues, tempDir } from './fixtures';

const root = path.join(__dirname, '..', '..');
const child = path.join(__dirname, 'save-loop.child.ts');

/** What one run of the child saw before it was killed. */
interface KillRun {
  /** The last `start i` the child printed. */
  started: number;
  /** The last `done i` the child printed. */
  done: number;
  /** The temporary files left in the directory after the kill, with their sizes. */
  leftovers: { name: string; size: number }[];
  /** The size of the checkpoint file after the kill. */
  fileSize: number;
}

/**
 * Spawns the saving child, waits until at least two saves completed, then kills it with
 * SIGKILL as soon as the third (or a later) save's temporary file has bytes in it.
 */
function killDuringSave(dir: string, file: string): Promise<KillRun> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath,
      ['--conditions=brainstate-source', '-r', 'ts-node/register/transpile-only', child, file],
      { cwd: root, env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let killed = false;
    let done = -1;
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = [...out.matchAll(/done (\d+)/g)];
      if (m.length > 0) done = Number(m[m.length - 1][1]);
    });
    proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const poll = setInterval(() => {
      if (killed || done < 1) return;
      for (const name of fs.readdirSync(dir)) {
        if (!name.endsWith('.tmp')) continue;
        let size = 0;
        try {
          size = fs.statSync(path.join(dir, name)).size;
        } catch {
          continue; // renamed away between readdir and stat
        }
        if (size > 0) {
          killed = proc.kill('SIGKILL');
          return;
        }
      }
    }, 1);
    proc.on('close', (code, signal) => {
      clearInterval(poll);
      if (signal !== 'SIGKILL') {
        reject(new Error(`the saving child exited on its own (code ${code}, signal ${signal}):\n${out}\n${err}`));
        return;
      }
      const starts = [...out.matchAll(/start (\d+)/g)];
      const dones = [...out.matchAll(/done (\d+)/g)];
      resolve({
        started: Number(starts[starts.length - 1][1]),
        done: dones.length === 0 ? -1 : Number(dones[dones.length - 1][1]),
        leftovers: fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))
          .map((name) => ({ name, size: fs.statSync(path.join(dir, name)).size })),
        fileSize: fs.statSync(file).size,
      });
    });
  });
}

/** Asserts `model` holds exactly the values of save number `i`, bit for bit. */
function expectSaveNumber(model: Big, i: number): void {
  expect(model.counter.value.dataSync()[0]).to.equal(i);
  const v = bigValues(i);
  const same = (a: ArrayBufferView, b: ArrayBufferView): boolean =>
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  expect(same(model.weight.value.dataSync() as Float32Array, v.weight), 'weight bits').to.equal(true);
  expect(same(model.ids.value.dataSync() as Int32Array, v.ids), 'ids bits').to.equal(true);
  expect(Array.from(model.mask.value.dataSync())).to.deep.equal(Array.from(v.mask));
}

describe('checkpoint: save → kill → load', () => {
  it('a process killed with SIGKILL mid-save leaves the previous complete checkpoint, bit-exact', async function () {
    this.timeout(240000);
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'big.safetensors');
      let midSave: KillRun | undefined;
      // A kill can land just after the rename; then try again (it lands before it nearly always).
      for (let attempt = 0; attempt < 4 && midSave === undefined; attempt++) {
        for (const n of fs.readdirSync(dir)) fs.rmSync(path.join(dir, n));
        const run = await killDuringSave(dir, file);
        expect(run.done, 'saves completed before the kill').to.be.at.least(1);

        const model = new Big();
        bst.checkpoint.load(file, model);
        const saved = model.counter.value.dataSync()[0];
        if (run.leftovers.length > 0) {
          // Killed before the rename (while writing, or while fsyncing a written temporary
          // file): the file is the previous save, whole.
          expect(run.leftovers[0].size, 'the temporary file is at most a whole save').to.be.at.most(run.fileSize);
          expect(saved).to.equal(run.started - 1);
          midSave = run;
        } else {
          expect(saved).to.be.oneOf([run.done, run.started]);
        }
        expectSaveNumber(model, saved);
      }
      expect(midSave, 'a kill landed during a save, before its rename').to.not.equal(undefined);
    } finally {
      cleanup();
    }
  });

  it('issue 12: the next save removes the temporary file a SIGKILLed writer left; a live writer\'s file stays',
    async function () {
      this.timeout(240000);
      const { dir, cleanup } = tempDir();
      // A live process standing for another writer that is saving the same target right now.
      const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { stdio: 'ignore' });
      try {
        const file = path.join(dir, 'big.safetensors');
        let run: KillRun | undefined;
        for (let attempt = 0; attempt < 4 && (run === undefined || run.leftovers.length === 0); attempt++) {
          for (const n of fs.readdirSync(dir)) fs.rmSync(path.join(dir, n));
          run = await killDuringSave(dir, file);
        }
        expect(run!.leftovers, 'a kill landed before a rename, leaving a temporary file').to.have.length(1);
        const dead = run!.leftovers[0].name;
        const m = /^(\.big\.safetensors\.[0-9a-f]+-)(\d+)(-[0-9a-f]+\.tmp)$/.exec(dead);
        expect(m, `temporary file name ${dead} carries the writer's host and pid`).to.not.equal(null);
        // The same scheme for the live writer, and the 0.1 scheme (pid only) for a writer that has exited.
        const live = `${m![1]}${sleeper.pid}${m![3]}`;
        const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
        const legacy = `.big.safetensors.${exited}.0badf00d.tmp`;
        const other = '.other.safetensors.1-2-3.tmp'; // another target's: never touched
        for (const n of [live, legacy, other]) fs.writeFileSync(path.join(dir, n), 'partial');

        const model = new Big();
        model.fill(7);
        bst.checkpoint.save(file, model);
        const left = fs.readdirSync(dir).filter((n) => n.endsWith('.tmp')).sort();
        expect(left).to.deep.equal([live, other].sort());
        const loaded = new Big();
        bst.checkpoint.load(file, loaded);
        expectSaveNumber(loaded, 7);
      } finally {
        sleeper.kill('SIGKILL');
        cleanup();
      }
    });
});
