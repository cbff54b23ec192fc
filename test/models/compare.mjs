#!/usr/bin/env node
// Compares a model's outputs with ONNX Runtime's reference outputs.
//
//   node test/models/compare.mjs REF_DIR OUT_DIR [--atol A] [--rtol R] [--model NAME]
//
// REF_DIR holds outputs.list ("NAME FILE" lines, as ort-run.mjs writes it) and
// the .npy files it names; OUT_DIR holds the outputs under test, found through
// its own outputs.list when it has one, else under the same file names. An
// element passes when |out - ref| <= atol + rtol * |ref| (NaN only matches NaN);
// shapes and element types must match exactly. --model NAME takes atol/rtol
// from test/models/models.json (explicit flags win; default 1e-4 / 1e-3).
// Prints one line per output (max abs and rel error, cosine similarity, and
// for outputs of rank >= 2 how often the argmax over the last axis agrees);
// exits 1 when anything fails.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy } from './npy.mjs';
import { readList } from './ort-run.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

function usage(msg) {
  if (msg) console.error(`compare: ${msg}`);
  console.error('usage: compare.mjs REF_DIR OUT_DIR [--atol A] [--rtol R] [--model NAME]');
  process.exit(2);
}

function argmaxAgreement(ref, out, shape) {
  const inner = shape[shape.length - 1];
  if (shape.length < 2 || inner < 2) return null;
  let same = 0;
  const rows = ref.length / inner;
  for (let r = 0; r < rows; r++) {
    let bi = 0, bo = 0;
    for (let i = 1; i < inner; i++) {
      if (ref[r * inner + i] > ref[r * inner + bi]) bi = i;
      if (out[r * inner + i] > out[r * inner + bo]) bo = i;
    }
    if (bi === bo) same++;
  }
  return [same, rows];
}

function main() {
  const args = process.argv.slice(2);
  const dirs = [];
  let atol, rtol, model;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const next = () => (i + 1 < args.length ? args[++i] : usage(`${a} wants a value`));
    if (a === '--atol') atol = Number(next());
    else if (a === '--rtol') rtol = Number(next());
    else if (a === '--model') model = next();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else dirs.push(a);
  }
  if (dirs.length !== 2) usage();
  if (model) {
    const m = JSON.parse(fs.readFileSync(path.join(HERE, 'models.json'), 'utf8')).models.find((x) => x.name === model);
    if (!m) usage(`no model ${model} in models.json`);
    atol ??= m.tolerance?.atol;
    rtol ??= m.tolerance?.rtol;
  }
  atol ??= 1e-4;
  rtol ??= 1e-3;
  if (!(atol >= 0) || !(rtol >= 0)) usage('bad --atol/--rtol');

  const [refDir, outDir] = dirs;
  const outList = path.join(outDir, 'outputs.list');
  const outFiles = fs.existsSync(outList) ? new Map(readList(outList)) : null;
  let failures = 0;
  for (const [name, refFile] of readList(path.join(refDir, 'outputs.list'))) {
    const outFile = outFiles ? outFiles.get(name) : path.join(outDir, path.basename(refFile));
    if (!outFile || !fs.existsSync(outFile)) {
      console.log(`FAIL ${name}: no output (${outFile ?? `not in ${outList}`})`);
      failures++;
      continue;
    }
    const ref = readNpy(refFile);
    const out = readNpy(outFile);
    if (ref.dtype !== out.dtype || ref.shape.join() !== out.shape.join()) {
      console.log(`FAIL ${name}: ${out.dtype} [${out.shape}] where the reference is ${ref.dtype} [${ref.shape}]`);
      failures++;
      continue;
    }
    const r = Array.from(ref.data, Number);
    const o = Array.from(out.data, Number);
    let maxAbs = 0, maxRel = 0, bad = 0, dot = 0, nr = 0, no = 0;
    for (let i = 0; i < r.length; i++) {
      const d = Math.abs(o[i] - r[i]);
      const nan = Number.isNaN(r[i]) || Number.isNaN(o[i]);
      if (nan ? !(Number.isNaN(r[i]) && Number.isNaN(o[i])) : !(d <= atol + rtol * Math.abs(r[i]))) bad++;
      if (!nan) {
        if (d > maxAbs) maxAbs = d;
        if (r[i] !== 0 && d / Math.abs(r[i]) > maxRel) maxRel = d / Math.abs(r[i]);
        dot += r[i] * o[i];
        nr += r[i] * r[i];
        no += o[i] * o[i];
      }
    }
    const cos = nr > 0 && no > 0 ? dot / Math.sqrt(nr * no) : (nr === no ? 1 : 0);
    const am = argmaxAgreement(r, o, ref.shape);
    const e = (x) => x.toExponential(2);
    console.log(`${bad ? 'FAIL' : 'ok  '} ${name}: [${ref.shape}] max_abs ${e(maxAbs)} max_rel ${e(maxRel)} ` +
      `cos ${cos.toFixed(7)}${am ? ` argmax ${am[0]}/${am[1]}` : ''}` +
      `${bad ? `, ${bad} of ${r.length} elements beyond atol ${atol} + rtol ${rtol}` : ''}`);
    if (bad) failures++;
  }
  process.exit(failures ? 1 : 0);
}

main();
