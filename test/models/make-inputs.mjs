#!/usr/bin/env node
// Generates the deterministic test inputs of the real ONNX models in
// test/models/models.json as .npy files, and ONNX Runtime's reference outputs
// for them (test/models/ort-run.mjs, one intra-op thread).
//
//   node test/models/make-inputs.mjs [--out DIR] [--models NAME,NAME] [--no-ref]
//                                    [--manifest FILE]
//
// For each model it writes
//   DIR/NAME/inputs/<input>.npy  DIR/NAME/inputs.list   ("NAME FILE" lines)
//   DIR/NAME/ref/<output>.npy    DIR/NAME/ref/outputs.list
// (DIR defaults to $QUANTC_BUILD/onnx-models, i.e. build/onnx-models), checks
// each model file's sha256 and the reference outputs' shapes against the
// manifest, and prints a summary of each output. The same manifest gives the
// same inputs, bit for bit: the generators use a fixed-seed PRNG and double
// arithmetic rounded to the input's type; Math.sin/cos/log/sqrt are V8's own
// (fdlibm), not the system's libm.
//
// Generators ("gen" in the manifest):
//   text-image  H x W synthetic document: light, slightly noisy background with
//               `lines` lines of dark glyph-like strokes, as 8-bit RGB, then
//               normalized like PaddleOCR: (x / 255 - mean[c]) / std[c].
//   audio       a voiced-speech-like waveform (8 harmonics of a 110-170 Hz
//               pitch, 4 Hz amplitude modulation, light noise) in [-1, 1] at
//               sample_rate.
//   uniform     uniform in [low, high).   normal  mean + std * N(0, 1).
//   constant    every element `value`.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { elementCount, readNpy, typedArrayFor, writeNpy } from './npy.mjs';
import { readList, safeName } from './ort-run.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const TOOLS = process.env.QUANTC_TOOLS || path.join(ROOT, '.tools');
const MODELS_DIR = path.join(TOOLS, 'onnx-models');

// --- deterministic PRNG ------------------------------------------------------
// A 32-bit Weyl sequence passed through a multiply-xorshift finalizer.
export class Rng {
  constructor(seed) {
    this.s = seed >>> 0;
  }
  u32() {
    this.s = (this.s + 0x9e3779b9) >>> 0;
    let z = this.s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }
  // Uniform in [0, 1) with 24 bits.
  uniform() {
    return (this.u32() >>> 8) / 16777216;
  }
  range(lo, hi) {
    return lo + (hi - lo) * this.uniform();
  }
  int(lo, hi) {
    // [lo, hi]
    return lo + Math.floor(this.uniform() * (hi - lo + 1));
  }
  normal() {
    // Box-Muller; 1 - u keeps the log's argument in (0, 1].
    const u = 1 - this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

// --- generators --------------------------------------------------------------
function textImage(shape, g) {
  const [n, c, h, w] = shape;
  if (shape.length !== 4 || c !== 3) throw new Error('text-image wants an N x 3 x H x W input');
  const rng = new Rng(g.seed);
  const out = new Float32Array(elementCount(shape));
  for (let b = 0; b < n; b++) {
    // Gray page with a gentle gradient and noise, 0..255.
    const gray = new Float32Array(h * w);
    const base = rng.range(215, 245);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) gray[y * w + x] = base + 10 * (x / w) - 6 * (y / h) + rng.range(-6, 6);
    // Text lines: glyphs made of 2-4 strokes each, with spaces between words.
    const lines = g.lines ?? 1;
    const pitch = h / lines;
    for (let l = 0; l < lines; l++) {
      const lineH = Math.max(6, Math.round(pitch * (lines === 1 ? rng.range(0.55, 0.75) : rng.range(0.35, 0.6))));
      const top = Math.round(l * pitch + (pitch - lineH) / 2);
      let x = Math.round(rng.range(0.02, lines === 1 ? 0.06 : 0.2) * w);
      const end = Math.round((lines === 1 ? rng.range(0.85, 0.97) : rng.range(0.5, 0.95)) * w);
      const ink = rng.range(15, 70);
      const thick = Math.max(1, Math.round(lineH / 8));
      while (x < end) {
        if (rng.uniform() < 0.15) { // a space
          x += Math.round(lineH * rng.range(0.4, 0.8));
          continue;
        }
        const gw = Math.max(3, Math.round(lineH * rng.range(0.5, 0.95)));
        const strokes = rng.int(2, 4);
        for (let s = 0; s < strokes; s++) {
          const vertical = rng.uniform() < 0.5;
          let x0, y0, x1, y1;
          if (vertical) {
            x0 = x + rng.int(0, gw - thick); x1 = x0 + thick;
            y0 = top + rng.int(0, Math.floor(lineH / 3)); y1 = top + lineH - rng.int(0, Math.floor(lineH / 3));
          } else {
            y0 = top + rng.int(0, lineH - thick); y1 = y0 + thick;
            x0 = x + rng.int(0, Math.floor(gw / 3)); x1 = x + gw - rng.int(0, Math.floor(gw / 3));
          }
          for (let yy = Math.max(0, y0); yy < Math.min(h, y1); yy++)
            for (let xx = Math.max(0, x0); xx < Math.min(w, x1); xx++) gray[yy * w + xx] = ink + rng.range(-8, 8);
        }
        x += gw + Math.max(1, Math.round(lineH * rng.range(0.08, 0.2)));
      }
    }
    // RGB with a slight tint, rounded to 8 bits, then normalized.
    const tint = [rng.range(-4, 4), rng.range(-4, 4), rng.range(-4, 4)];
    for (let ch = 0; ch < 3; ch++) {
      const mean = g.mean?.[ch] ?? 0.5;
      const std = g.std?.[ch] ?? 0.5;
      const plane = (b * 3 + ch) * h * w;
      for (let i = 0; i < h * w; i++) {
        const v = Math.min(255, Math.max(0, Math.round(gray[i] + tint[ch])));
        out[plane + i] = (v / 255 - mean) / std;
      }
    }
  }
  return out;
}

function audio(shape, g) {
  const rng = new Rng(g.seed);
  const sr = g.sample_rate ?? 16000;
  const per = shape[shape.length - 1];
  const out = new Float32Array(elementCount(shape));
  for (let row = 0; row < out.length / per; row++) {
    const f0 = rng.range(110, 170);
    const phase0 = rng.range(0, 2 * Math.PI);
    const t0 = rng.range(0, 1);
    for (let i = 0; i < per; i++) {
      const t = t0 + i / sr;
      let v = 0;
      for (let k = 1; k <= 8; k++) v += Math.sin(2 * Math.PI * f0 * k * t + k * phase0) / k;
      const env = 0.6 + 0.4 * Math.sin(2 * Math.PI * 4 * t);
      out[row * per + i] = Math.max(-1, Math.min(1, 0.18 * env * v + 0.01 * rng.range(-1, 1)));
    }
  }
  return out;
}

export function generate(input) {
  const { dtype, shape, gen: g } = input;
  const count = elementCount(shape);
  let values;
  switch (g.kind) {
    case 'text-image': values = textImage(shape, g); break;
    case 'audio': values = audio(shape, g); break;
    case 'uniform': {
      const rng = new Rng(g.seed);
      values = Float64Array.from({ length: count }, () => rng.range(g.low, g.high));
      break;
    }
    case 'normal': {
      const rng = new Rng(g.seed);
      values = Float64Array.from({ length: count }, () => g.mean + g.std * rng.normal());
      break;
    }
    case 'constant': values = new Float64Array(count).fill(g.value); break;
    default: throw new Error(`unknown generator ${g.kind}`);
  }
  const Typed = typedArrayFor(dtype);
  let data;
  if (Typed === BigInt64Array || Typed === BigUint64Array) data = Typed.from(values, (v) => BigInt(Math.round(v)));
  else if (dtype === 'float16') throw new Error('float16 inputs are not generated');
  else data = Typed.from(values);
  return { dtype, shape, data };
}

// --- driver ------------------------------------------------------------------
function parseArgs(argv) {
  const o = {
    out: path.join(process.env.QUANTC_BUILD || path.join(ROOT, 'build'), 'onnx-models'),
    models: null, ref: true, manifest: path.join(HERE, 'models.json'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} wants a value`);
      return argv[++i];
    };
    if (a === '--out') o.out = next();
    else if (a === '--models') o.models = next().split(',').filter(Boolean);
    else if (a === '--no-ref') o.ref = false;
    else if (a === '--manifest') o.manifest = next();
    else if (a === '-h' || a === '--help') {
      console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1).filter((l, i, a) => a.slice(0, i + 1).every((x) => x.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

function summary(a) {
  let min = Infinity, max = -Infinity, sum = 0;
  for (const v of a.data) {
    const x = Number(v);
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
  }
  const g = (x) => x.toPrecision(5);
  return `${a.dtype} [${a.shape.join(', ')}] min ${g(min)} max ${g(max)} mean ${g(sum / a.data.length)}`;
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const manifest = JSON.parse(fs.readFileSync(o.manifest, 'utf8'));
  let models = manifest.models;
  if (o.models) {
    const unknown = o.models.filter((n) => !models.some((m) => m.name === n));
    if (unknown.length) throw new Error(`unknown model(s) ${unknown.join(', ')}`);
    models = models.filter((m) => o.models.includes(m.name));
  }
  let failed = 0;
  for (const m of models) {
    const file = path.join(MODELS_DIR, m.file);
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: run scripts/setup.sh`);
    const sha = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    if (sha !== m.sha256) throw new Error(`${file}: sha256 ${sha}, the manifest says ${m.sha256}`);

    const dir = path.join(o.out, m.name);
    fs.mkdirSync(path.join(dir, 'inputs'), { recursive: true });
    const list = [];
    console.log(`${m.name} (${m.file})`);
    for (const input of m.inputs) {
      const f = `inputs/${safeName(input.name)}.npy`;
      const a = generate(input);
      writeNpy(path.join(dir, f), a);
      list.push(`${input.name} ${f}`);
      console.log(`  in  ${input.name}: ${summary(a)}`);
    }
    fs.writeFileSync(path.join(dir, 'inputs.list'), list.join('\n') + '\n');
    if (!o.ref) continue;

    const refDir = path.join(dir, 'ref');
    fs.rmSync(refDir, { recursive: true, force: true });
    const r = spawnSync(process.execPath, [path.join(HERE, 'ort-run.mjs'), file, '--input-list',
      path.join(dir, 'inputs.list'), '--out', refDir, '--threads', '1', '--quiet'], { stdio: 'inherit' });
    if (r.status !== 0) {
      console.error(`  ONNX Runtime failed on ${m.name} (status ${r.status ?? r.signal})`);
      failed++;
      continue;
    }
    const outs = readList(path.join(refDir, 'outputs.list'));
    for (const [name, f] of outs) {
      const a = readNpy(f);
      const want = m.outputs.find((x) => x.name === name);
      let note = '';
      if (!want) note = '  (not in the manifest)';
      else if (want.dtype !== a.dtype || want.shape.join() !== a.shape.join()) {
        note = `  (MISMATCH: manifest says ${want.dtype} [${want.shape.join(', ')}])`;
        failed++;
      }
      console.log(`  ref ${name}: ${summary(a)}${note}`);
    }
  }
  if (failed) {
    console.error(`make-inputs: ${failed} failure(s)`);
    process.exit(1);
  }
  console.log(`make-inputs: wrote ${models.length} model(s) under ${o.out}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (e) {
    console.error(`make-inputs: ${e.message ?? e}`);
    process.exit(1);
  }
}
