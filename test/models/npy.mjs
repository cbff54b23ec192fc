// A small reader and writer for NumPy's .npy format (versions 1.0 to 3.0,
// little-endian, C order), for the real-model test oracle: the inputs that
// make-inputs.mjs generates and the outputs that ort-run.mjs writes.
//
// An array is {dtype, shape, data}: dtype is ONNX Runtime's name for the
// element type ('float32', 'int64', ...), shape an array of numbers ([] for a
// scalar) and data the matching typed array (float16 as raw Uint16Array bits,
// bool as Uint8Array).

import fs from 'node:fs';

// npy descr <-> element type.
const TYPES = [
  // dtype      descr   typed array      bytes
  ['float32', '<f4', Float32Array, 4],
  ['float64', '<f8', Float64Array, 8],
  ['float16', '<f2', Uint16Array, 2],
  ['int64', '<i8', BigInt64Array, 8],
  ['uint64', '<u8', BigUint64Array, 8],
  ['int32', '<i4', Int32Array, 4],
  ['uint32', '<u4', Uint32Array, 4],
  ['int16', '<i2', Int16Array, 2],
  ['uint16', '<u2', Uint16Array, 2],
  ['int8', '|i1', Int8Array, 1],
  ['uint8', '|u1', Uint8Array, 1],
  ['bool', '|b1', Uint8Array, 1],
];
const BY_DTYPE = new Map(TYPES.map((t) => [t[0], t]));
// numpy writes one-byte types with '|', and may write '=' (native) or '<'.
const BY_DESCR = new Map();
for (const t of TYPES) {
  const body = t[1].slice(1);
  for (const order of ['<', '|', '=']) BY_DESCR.set(order + body, t);
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

export function elementCount(shape) {
  return shape.reduce((n, d) => n * d, 1);
}

export function typedArrayFor(dtype) {
  const t = BY_DTYPE.get(dtype);
  if (!t) throw new Error(`npy: unsupported element type ${dtype}`);
  return t[2];
}

// Parses the bytes of an .npy file.
export function parseNpy(buf, what = 'npy') {
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw new Error(`${what}: not an .npy file`);
  const major = buf[6];
  let headerLen, start;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    headerLen = buf.readUInt32LE(8);
    start = 12;
  } else {
    throw new Error(`${what}: unsupported .npy version ${major}`);
  }
  const header = buf.subarray(start, start + headerLen).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) throw new Error(`${what}: bad header ${JSON.stringify(header)}`);
  if (fortran[1] === 'True') throw new Error(`${what}: Fortran-order arrays are not supported`);
  const t = BY_DESCR.get(descr[1]);
  if (!t) throw new Error(`${what}: unsupported descr ${descr[1]} (little-endian numeric or bool only)`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`${what}: bad shape (${shape[1]})`);
  const [dtype, , Typed, bytes] = t;
  const count = elementCount(dims);
  const offset = start + headerLen;
  if (buf.length < offset + count * bytes) throw new Error(`${what}: truncated (${count} elements expected)`);
  // Copy into a fresh, aligned buffer.
  const raw = new Uint8Array(count * bytes);
  raw.set(buf.subarray(offset, offset + count * bytes));
  return { dtype, shape: dims, data: new Typed(raw.buffer) };
}

export function readNpy(path) {
  return parseNpy(fs.readFileSync(path), path);
}

// Serializes an array as .npy version 1.0 (2.0 when the header needs it).
export function formatNpy({ dtype, shape, data }) {
  const t = BY_DTYPE.get(dtype);
  if (!t) throw new Error(`npy: unsupported element type ${dtype}`);
  const [, descr, , bytes] = t;
  const count = elementCount(shape);
  if (data.length !== count) throw new Error(`npy: ${data.length} elements for shape [${shape}]`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // The header (magic, version, length, dict, padding, '\n') is a multiple of 64 bytes.
  let prefix = 10;
  let total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  let major = 1;
  if (total - prefix > 0xffff) {
    prefix = 12;
    total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
    major = 2;
  }
  dict = dict.padEnd(total - prefix - 1, ' ') + '\n';
  const head = Buffer.alloc(prefix);
  MAGIC.copy(head, 0);
  head[6] = major;
  head[7] = 0;
  if (major === 1) head.writeUInt16LE(dict.length, 8);
  else head.writeUInt32LE(dict.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, count * bytes);
  return Buffer.concat([head, Buffer.from(dict, 'latin1'), body]);
}

export function writeNpy(path, array) {
  fs.writeFileSync(path, formatNpy(array));
}
