/**
 * Reading a plain safetensors file, as Python's `safetensors` writes it (for example
 * `safetensors.numpy.save_file` or `safetensors.torch.save_file`): an 8-byte
 * little-endian header length, a JSON header of `{ name: { dtype, shape, data_offsets } }`
 * (with an optional `__metadata__` of strings), then the tensors' little-endian bytes.
 * No brainstate-ts manifest is needed; the tensors are matched to states by name in
 * plain.ts. Every numeric dtype the format defines is read, then converted to the
 * target's tfjs dtype (float32, int32 or bool).
 */
import { CheckpointError } from '../errors';

/** The safetensors dtype codes, with bytes per element and which tfjs dtype they convert to. */
const CODES: { readonly [code: string]: { readonly bytes: number; readonly family: 'float' | 'int' | 'bool' } } = {
  F64: { bytes: 8, family: 'float' }, F32: { bytes: 4, family: 'float' }, F16: { bytes: 2, family: 'float' },
  BF16: { bytes: 2, family: 'float' }, I64: { bytes: 8, family: 'int' }, I32: { bytes: 4, family: 'int' },
  I16: { bytes: 2, family: 'int' }, I8: { bytes: 1, family: 'int' }, U64: { bytes: 8, family: 'int' },
  U32: { bytes: 4, family: 'int' }, U16: { bytes: 2, family: 'int' }, U8: { bytes: 1, family: 'int' },
  BOOL: { bytes: 1, family: 'bool' },
};

/** safetensors refuses headers above 100 MB; so do we. */
const MAX_HEADER_BYTES = 100_000_000;

/** One tensor of a plain file. */
export interface PlainEntry {
  readonly name: string;
  /** The safetensors dtype code (`F32`, `F64`, `I64`, ...). */
  readonly code: string;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

/** A parsed plain file. */
export interface PlainFile {
  readonly entries: ReadonlyMap<string, PlainEntry>;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly data: Buffer;
}

function bad(fnName: string, file: string, what: string): CheckpointError {
  return new CheckpointError(`${fnName}: expected a safetensors file, but ${file} ${what}. Nothing was loaded; ` +
    "write the file with Python's safetensors (safetensors.numpy.save_file) or checkpoint.save.");
}

/** The header of a safetensors file: its JSON object and where the data starts. */
export function readHeader(fnName: string, file: string, buf: Buffer): { header: Record<string, unknown>; dataStart: number } {
  if (buf.length < 8) throw bad(fnName, file, `has ${buf.length} bytes, fewer than the 8-byte header length`);
  const n = buf.readBigUInt64LE(0);
  if (n > BigInt(buf.length - 8) || n > BigInt(MAX_HEADER_BYTES)) {
    throw bad(fnName, file, `declares a ${n}-byte header, but ${buf.length - 8} bytes follow the length prefix`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + Number(n))));
  } catch (e) {
    throw bad(fnName, file, `has a header that is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw bad(fnName, file, 'has a header that is not a JSON object');
  }
  return { header: header as Record<string, unknown>, dataStart: 8 + Number(n) };
}

/** Parses and validates every entry of a plain file (dtype, shape, offsets inside the data, sizes). */
export function parsePlainFile(fnName: string, file: string, buf: Buffer): PlainFile {
  const { header, dataStart } = readHeader(fnName, file, buf);
  const data = buf.subarray(dataStart);
  const problems: string[] = [];
  const entries = new Map<string, PlainEntry>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const r = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    const code = typeof r?.dtype === 'string' ? r.dtype : undefined;
    const info = code !== undefined ? CODES[code] : undefined;
    const shape = r?.shape;
    const offsets = r?.data_offsets;
    if (info === undefined) {
      problems.push(`tensor '${name}' has dtype ${JSON.stringify(r?.dtype)} (readable: ${Object.keys(CODES).join(', ')})`);
      continue;
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      problems.push(`tensor '${name}' has shape ${JSON.stringify(shape)}`);
      continue;
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
        offsets[0] > offsets[1] || offsets[1] > data.length) {
      problems.push(`tensor '${name}' has data_offsets ${JSON.stringify(offsets)} (the data region has ${data.length} bytes)`);
      continue;
    }
    const need = (shape as number[]).reduce((a, b) => a * b, 1) * info.bytes;
    if (offsets[1] - offsets[0] !== need) {
      problems.push(`tensor '${name}' (${code}[${shape.join(',')}]) needs ${need} bytes, but its data_offsets span ` +
        `${offsets[1] - offsets[0]}`);
      continue;
    }
    entries.set(name, { name, code: code!, shape: shape as number[], begin: offsets[0], end: offsets[1] });
  }
  if (problems.length > 0) throw bad(fnName, file, `is malformed: ${problems.slice(0, 8).join('; ')}`);
  const metadata = header.__metadata__;
  return {
    entries, data,
    metadata: metadata !== null && typeof metadata === 'object' ? metadata as Record<string, unknown> : {},
  };
}

/** The tfjs dtype family a safetensors code converts to. */
export function familyOf(code: string): 'float' | 'int' | 'bool' {
  return CODES[code].family;
}

/** float16 bits to a number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/**
 * The entry's values as the typed array of `dtype` (converted: F64/F16/BF16 to float32,
 * 8/16/64-bit and unsigned integers to int32), or a message saying why they cannot be.
 */
export function decodeEntry(e: PlainEntry, data: Buffer, dtype: 'float32' | 'int32' | 'bool'):
  Float32Array | Int32Array | Uint8Array | string {
  const n = e.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(data.buffer, data.byteOffset + e.begin, e.end - e.begin);
  const family = familyOf(e.code);
  const wanted = dtype === 'float32' ? 'float' : dtype === 'int32' ? 'int' : 'bool';
  if (family !== wanted) return `holds ${e.code} (${family}) values, but the state's tensor is ${dtype}`;
  if (dtype === 'bool') {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getUint8(i) !== 0 ? 1 : 0;
    return out;
  }
  if (dtype === 'float32') {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      switch (e.code) {
        case 'F32': out[i] = view.getFloat32(4 * i, true); break;
        case 'F64': out[i] = view.getFloat64(8 * i, true); break;
        case 'F16': out[i] = halfToFloat(view.getUint16(2 * i, true)); break;
        default: out[i] = new Float32Array(new Uint32Array([view.getUint16(2 * i, true) << 16]).buffer)[0];
      }
    }
    return out;
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let v: number | bigint;
    switch (e.code) {
      case 'I32': v = view.getInt32(4 * i, true); break;
      case 'I64': v = view.getBigInt64(8 * i, true); break;
      case 'U64': v = view.getBigUint64(8 * i, true); break;
      case 'U32': v = view.getUint32(4 * i, true); break;
      case 'I16': v = view.getInt16(2 * i, true); break;
      case 'U16': v = view.getUint16(2 * i, true); break;
      case 'I8': v = view.getInt8(i); break;
      default: v = view.getUint8(i);
    }
    const num = Number(v);
    if (num > 2147483647 || num < -2147483648) {
      return `holds ${e.code} value ${String(v)} at element ${i}, outside the int32 range of the state's tensor`;
    }
    out[i] = num;
  }
  return out;
}
