/**
 * The safetensors file layout: an 8-byte little-endian header length N, N bytes of
 * JSON header (`{ name: { dtype, shape, data_offsets: [begin, end] }, ..., __metadata__:
 * { key: string } }`, padded with spaces), then the tensors' raw little-endian bytes,
 * back to back. Python's `safetensors` reads what {@link encodeHeader} writes.
 */
import { CheckpointDtype, DTYPES, corrupt, dtypeOfCode, isShape } from './format';

/** safetensors refuses headers above 100 MB; so do we (a garbled length would ask for more). */
const MAX_HEADER_BYTES = 100_000_000;

/** At most this many problems are listed when a header is malformed. */
const MAX_LISTED = 8;

/** One tensor to write: its header entry and byte length. */
export interface TensorSlot {
  readonly name: string;
  readonly dtype: CheckpointDtype;
  readonly shape: readonly number[];
}

/** One tensor as a header describes it; `begin`/`end` are offsets into the data region. */
export interface HeaderEntry extends TensorSlot {
  readonly begin: number;
  readonly end: number;
}

/** A parsed, validated file: its tensors, its metadata, and its data region. */
export interface ParsedFile {
  readonly entries: ReadonlyMap<string, HeaderEntry>;
  readonly metadata: Readonly<Record<string, string>>;
  readonly data: Buffer;
}

/** Bytes a tensor of `dtype` and `shape` takes. */
export function byteLength(dtype: CheckpointDtype, shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1) * DTYPES[dtype].bytes;
}

/**
 * The first bytes of a file: the length prefix and the header JSON, padded with spaces
 * so that the data region starts at a multiple of 8 bytes. Tensors are laid out in the
 * order given.
 */
export function encodeHeader(slots: readonly TensorSlot[], metadata: Readonly<Record<string, string>>): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const s of slots) {
    const n = byteLength(s.dtype, s.shape);
    header[s.name] = { dtype: DTYPES[s.dtype].code, shape: [...s.shape], data_offsets: [offset, offset + n] };
    offset += n;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad > 0) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length), 0);
  return Buffer.concat([prefix, json]);
}

/**
 * Parses and validates a whole file: the header length, the JSON, every entry, and that
 * the entries tile the data region exactly (no gaps, no overlaps, nothing past the end,
 * nothing after the last tensor).
 * @throws CheckpointError naming what is wrong.
 */
export function parseFile(buf: Buffer, file: string): ParsedFile {
  if (buf.length < 8) throw corrupt(file, `it has ${buf.length} bytes, fewer than the 8-byte header length`);
  const n = buf.readBigUInt64LE(0);
  if (n > BigInt(buf.length - 8) || n > BigInt(MAX_HEADER_BYTES)) {
    throw corrupt(file, `its header length is ${n} bytes, but only ${buf.length - 8} bytes follow the length prefix`);
  }
  const headerEnd = 8 + Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, headerEnd)));
  } catch (e) {
    throw corrupt(file, `its header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw corrupt(file, 'its header is not a JSON object');
  }
  const data = buf.subarray(headerEnd);
  const problems: string[] = [];
  const metadata = readMetadata((header as Record<string, unknown>).__metadata__, problems);
  const entries = new Map<string, HeaderEntry>();
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const e = readEntry(name, raw, problems);
    if (e !== undefined) entries.set(name, e);
  }
  if (problems.length === 0) checkTiling([...entries.values()], data.length, problems);
  if (problems.length > 0) {
    const more = problems.length > MAX_LISTED ? `; and ${problems.length - MAX_LISTED} more` : '';
    throw corrupt(file, problems.slice(0, MAX_LISTED).join('; ') + more);
  }
  return { entries, metadata, data };
}

function readMetadata(raw: unknown, problems: string[]): Record<string, string> {
  if (raw === undefined) {
    problems.push('its header has no __metadata__');
    return {};
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push('__metadata__ is not an object');
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = v;
    else problems.push(`__metadata__.${k} is not a string`);
  }
  return out;
}

function readEntry(name: string, raw: unknown, problems: string[]): HeaderEntry | undefined {
  const r = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  if (r === null || typeof r !== 'object') {
    problems.push(`tensor '${name}' is not an object`);
    return undefined;
  }
  const dtype = dtypeOfCode(r.dtype);
  const offsets = r.data_offsets;
  const okOffsets = Array.isArray(offsets) && offsets.length === 2 &&
    offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0) && (offsets[0] as number) <= (offsets[1] as number);
  if (dtype === undefined) {
    problems.push(`tensor '${name}' has dtype ${JSON.stringify(r.dtype)} (supported: ` +
      `${Object.values(DTYPES).map((d) => d.code).join(', ')})`);
  }
  if (!isShape(r.shape)) problems.push(`tensor '${name}' has shape ${JSON.stringify(r.shape)}`);
  if (!okOffsets) problems.push(`tensor '${name}' has data_offsets ${JSON.stringify(offsets)}`);
  if (dtype === undefined || !isShape(r.shape) || !okOffsets) return undefined;
  const [begin, end] = offsets as [number, number];
  const expected = byteLength(dtype, r.shape);
  if (end - begin !== expected) {
    problems.push(`tensor '${name}' (${dtype}[${r.shape.join(',')}]) needs ${expected} bytes but data_offsets ` +
      `[${begin}, ${end}] span ${end - begin}`);
    return undefined;
  }
  return { name, dtype, shape: r.shape, begin, end };
}

/** The entries must cover the data region exactly, in some order, without gaps or overlaps. */
function checkTiling(entries: HeaderEntry[], dataLength: number, problems: string[]): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of sorted) {
    if (e.end > dataLength) {
      problems.push(`tensor '${e.name}' ends at data byte ${e.end}, past the end of the data (${dataLength} bytes): ` +
        'the file is truncated');
      return;
    }
    if (e.begin !== at) {
      problems.push(`tensor '${e.name}' starts at data byte ${e.begin}, expected ${at} (tensors must be back to back)`);
      return;
    }
    at = e.end;
  }
  if (at !== dataLength) problems.push(`the tensors take ${at} data bytes but ${dataLength} follow the header`);
}
