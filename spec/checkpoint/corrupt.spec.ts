import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { Block, checkpointError, expectSameBits, snapshot, tempDir } from './fixtures';

type Header = Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> & {
  __metadata__?: Record<string, string>;
};

/** Splits a file into its header JSON and its data region. */
function split(buf: Buffer): { header: Header; data: Buffer } {
  const n = Number(buf.readBigUInt64LE(0));
  return { header: JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Header, data: buf.subarray(8 + n) };
}

/** Reassembles a file from a header object and data. */
function join(header: object, data: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([prefix, json, data]);
}

/** Rewrites the manifest inside a header (and its checksum, when `data` is given). */
function editManifest(header: Header, edit: (m: Record<string, unknown>) => void, data?: Buffer): Header {
  const m = JSON.parse(header.__metadata__!['brainstate_ts.manifest']) as Record<string, unknown>;
  edit(m);
  if (data !== undefined) m.dataSha256 = createHash('sha256').update(data).digest('hex');
  return { ...header, __metadata__: { 'brainstate_ts.manifest': JSON.stringify(m) } } as unknown as Header;
}

describe('checkpoint: a corrupt or truncated file is a CheckpointError, never a half-loaded model', () => {
  let dir: string;
  let cleanup: () => void;
  let good: Buffer;
  let target: Block;
  let targetBefore: Map<string, string>;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    const file = path.join(dir, 'good.safetensors');
    bst.checkpoint.save(file, new Block(1));
    good = fs.readFileSync(file);
    target = new Block(2);
    targetBefore = snapshot(target);
  });
  afterEach(() => cleanup());

  /** Writes `bytes`, loads them into the target, and returns the error message (the target must be untouched). */
  function loadBytes(bytes: Buffer): string {
    const file = path.join(dir, 'bad.safetensors');
    fs.writeFileSync(file, bytes);
    const msg = checkpointError(() => bst.checkpoint.load(file, target));
    expectSameBits(snapshot(target), targetBefore);
    return msg;
  }

  it('a file shorter than the 8-byte length prefix', () => {
    expect(loadBytes(good.subarray(0, 5))).to.contain('it has 5 bytes, fewer than the 8-byte header length');
  });

  it('a header length past the end of the file', () => {
    const bad = Buffer.from(good);
    bad.writeBigUInt64LE(BigInt(good.length), 0);
    expect(loadBytes(bad)).to.contain(`its header length is ${good.length} bytes, but only ${good.length - 8}`);
    bad.writeBigUInt64LE(0xffffffffffffffffn, 0);
    expect(loadBytes(bad)).to.contain('is corrupt or truncated: its header length is 18446744073709551615 bytes');
  });

  it('a header that is not JSON', () => {
    const bad = Buffer.from(good);
    bad[8] = 'x'.charCodeAt(0);
    expect(loadBytes(bad)).to.contain('its header is not valid UTF-8 JSON');
  });

  it('truncated anywhere: every cut point is an error', () => {
    const n = Number(good.readBigUInt64LE(0));
    const cuts = [0, 7, 8, 9, 8 + Math.floor(n / 2), 8 + n, 8 + n + 1, Math.floor((8 + n + good.length) / 2), good.length - 1];
    for (const cut of cuts) {
      const msg = loadBytes(good.subarray(0, cut));
      expect(msg, `cut at ${cut}`).to.contain('is corrupt or truncated');
    }
    expect(loadBytes(good.subarray(0, good.length - 1))).to.match(/past the end of the data .*the file is truncated/);
  });

  it('data_offsets whose byte count does not match shape × dtype', () => {
    const { header, data } = split(good);
    header['dense/weight/weight'].shape = [3, 5];
    expect(loadBytes(join(header, data))).to.contain(
      "tensor 'dense/weight/weight' (float32[3,5]) needs 60 bytes but data_offsets [0, 48] span 48");
  });

  it('tensors that overlap or leave gaps, or bytes after the last tensor', () => {
    const { header, data } = split(good);
    const w = header['dense/weight/weight'].data_offsets;
    const h2 = JSON.parse(JSON.stringify(header)) as Header;
    h2['dense/weight/weight'].data_offsets = [w[0] + 4, w[1] + 4];
    expect(loadBytes(join(h2, data))).to.contain('tensors must be back to back');
    expect(loadBytes(Buffer.concat([good, Buffer.from([0, 0, 0, 0])]))).to.contain('follow the header');
  });

  it('issue 12: data_offsets swapped or reordered between tensors, or overlapping, name the tensor', () => {
    const { header, data } = split(good);
    // Reordered: bias first, weight after it. Every size still matches and the data checksum still holds.
    const h1 = JSON.parse(JSON.stringify(header)) as Header;
    h1['dense/weight/bias'].data_offsets = [0, 16];
    h1['dense/weight/weight'].data_offsets = [16, 64];
    expect(loadBytes(join(h1, data))).to.contain("tensor 'dense/weight/weight' of ['dense', 'weight'] has data_offsets " +
      '[16, 64], but checkpoint.save writes tensors back to back in manifest order, which puts it at [0, 48]');
    // Overlapping: bias starts inside weight.
    const h2 = JSON.parse(JSON.stringify(header)) as Header;
    h2['dense/weight/bias'].data_offsets = [40, 56];
    expect(loadBytes(join(h2, data))).to.contain("tensor 'dense/weight/bias' starts at data byte 40, expected 48");
  });

  it('issue 12: two same-sized tensors whose data_offsets are swapped (values would silently trade places)', () => {
    class Pair extends bst.nn.Module {
      a = new bst.ParamState(tf.tensor1d([1, 2]));
      b = new bst.ParamState(tf.tensor1d([3, 4]));
    }
    const file = path.join(dir, 'pair.safetensors');
    bst.checkpoint.save(file, new Pair());
    const { header, data } = split(fs.readFileSync(file));
    const [ea, eb] = [header.a.data_offsets, header.b.data_offsets];
    [header.a.data_offsets, header.b.data_offsets] = [eb, ea];
    fs.writeFileSync(file, join(header, data));
    const target = new Pair();
    const msg = checkpointError(() => bst.checkpoint.load(file, target));
    expect(msg).to.contain(`tensor 'a' of ['a'] has data_offsets [${eb[0]}, ${eb[1]}]`).and.contain('swapped');
    expect(Array.from(target.a.value.dataSync())).to.deep.equal([1, 2]);
  });

  it('an unsupported dtype or a malformed entry', () => {
    const { header, data } = split(good);
    header['mask'].dtype = 'F16';
    (header as Record<string, unknown>)['steps'] = { dtype: 'I32', shape: 'scalar', data_offsets: [0] };
    const msg = loadBytes(join(header, data));
    expect(msg).to.contain(`tensor 'mask' has dtype "F16" (supported: F32, I32, BOOL)`);
    expect(msg).to.contain(`tensor 'steps' has shape "scalar"`).and.contain(`tensor 'steps' has data_offsets [0]`);
  });

  it('changed tensor bytes (the SHA-256 in the manifest no longer matches)', () => {
    const bad = Buffer.from(good);
    bad[bad.length - 2] ^= 0x01;
    expect(loadBytes(bad)).to.contain('the data was changed or damaged after saving');
  });

  it('a safetensors file without a brainstate-ts manifest is read by tensor name; unknown names are listed', () => {
    const { header, data } = split(good);
    const renamed: Record<string, unknown> = { __metadata__: { format: 'pt' } };
    for (const [k, v] of Object.entries(header)) if (k !== '__metadata__') renamed[`model.${k}`] = v;
    expect(loadBytes(join(renamed, data))).to.contain('plain safetensors file').and.contain('no tensor for')
      .and.contain('tensors no state uses');
    // With the names the target's paths give, the same file loads (spec/checkpoint/plain.spec.ts).
    const file = path.join(dir, 'plain.safetensors');
    fs.writeFileSync(file, join({ ...header, __metadata__: { format: 'pt' } }, data));
    bst.checkpoint.load(file, target);
  });

  it('a malformed manifest, listing what is wrong', () => {
    const { header, data } = split(good);
    const msg = loadBytes(join(editManifest(header, (m) => {
      m.version = 'one';
      (m.states as Record<string, unknown>[])[0].kind = '';
      (m.states as Record<string, unknown>[])[1].layout = 42;
    }), data));
    expect(msg).to.contain('its manifest is malformed').and.contain('version is "one"')
      .and.contain('states[0].kind is not a class name').and.contain('states[1].layout is not a tree of tensor names');
    expect(loadBytes(join({ ...header, __metadata__: { 'brainstate_ts.manifest': '{"states": [' } }, data)))
      .to.contain('its manifest is not valid JSON');
  });

  it('a manifest from a newer format version says to upgrade', () => {
    const { header, data } = split(good);
    expect(loadBytes(join(editManifest(header, (m) => { m.version = 99; }), data)))
      .to.contain('has version 99; it was written by a newer brainstate-ts: upgrade to read it');
  });

  it('a manifest that disagrees with the header', () => {
    const { header, data } = split(good);
    const msg = loadBytes(join(editManifest(header, (m) => {
      const states = m.states as { tensors: { shape: number[] }[] }[];
      states.find((s) => JSON.stringify(s).includes('"mask"'))!.tensors[0].shape = [1, 3];
    }), data));
    expect(msg).to.contain("its manifest and header disagree: tensor 'mask' is bool[3] in the header but bool[1,3] in the manifest");
  });

  it('a bool tensor holding bytes other than 0 and 1', () => {
    const { header, data } = split(good);
    const bad = Buffer.from(data);
    bad[header['mask'].data_offsets[0]] = 2;
    expect(loadBytes(join(editManifest(header, () => undefined, bad), bad)))
      .to.contain("the bool tensor 'mask' holds bytes other than 0 and 1");
  });

  it('a missing file, naming the path', () => {
    const file = path.join(dir, 'nope.safetensors');
    expect(checkpointError(() => bst.checkpoint.load(file, target))).to.contain(`expected a checkpoint file at ${file}`);
    expect(checkpointError(() => bst.checkpoint.inspect(file))).to.contain('checkpoint.inspect:');
  });
});
