#!/usr/bin/env node
// Runs an ONNX model with onnxruntime-node (the oracle, CPU execution provider)
// on inputs read from .npy files and writes its outputs as .npy files, or
// measures its latency.
//
//   node test/models/ort-run.mjs MODEL.onnx [--input NAME=FILE.npy]... [--input-list FILE]
//        [--out DIR] [--threads N] [--opt-level disabled|basic|extended|all]
//        [--bench N [--warmup N]] [--quiet]
//
// --input-list FILE  one input a line, "NAME FILE.npy" (a relative FILE is
//                    relative to the list's folder; '#' starts a comment). Use
//                    it rather than many --input arguments.
// --out DIR          writes each output as DIR/<name>.npy (characters other than
//                    [A-Za-z0-9._-] in the name become '_') and DIR/outputs.list
//                    ("NAME FILE" lines, in the model's output order).
// --threads N        intra-op threads (default 1; the calling thread counts);
//                    inter-op parallelism is off.
// --opt-level L      ONNX Runtime's graph optimization level (default all).
// --bench N          runs --warmup times (default 5), then N timed runs, and prints
//                    "ort-bench: ... median_ms=M min_ms=A max_ms=B" on stdout.
//
// onnxruntime-node comes from $QUANTC_TOOLS/onnxruntime (scripts/setup.sh);
// nothing is downloaded. Exit status: 0 ok, 1 failure, 2 usage.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { readNpy, writeNpy } from './npy.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');

export function loadOrt() {
  const tools = process.env.QUANTC_TOOLS || path.join(ROOT, '.tools');
  const dir = path.join(tools, 'onnxruntime', 'node_modules', 'onnxruntime-node');
  if (!fs.existsSync(dir)) throw new Error(`onnxruntime-node is not installed at ${dir}: run scripts/setup.sh`);
  return createRequire(import.meta.url)(dir);
}

// Reads "NAME FILE" lines.
export function readList(file) {
  const base = path.dirname(path.resolve(file));
  const entries = [];
  for (const [i, raw] of fs.readFileSync(file, 'utf8').split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const m = /^(\S+)\s+(.+)$/.exec(line);
    if (!m) throw new Error(`${file}:${i + 1}: expected "NAME FILE"`);
    entries.push([m[1], path.resolve(base, m[2])]);
  }
  return entries;
}

export function safeName(name) {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

function usage(msg) {
  if (msg) console.error(`ort-run: ${msg}`);
  console.error('usage: ort-run.mjs MODEL.onnx [--input NAME=FILE.npy]... [--input-list FILE] [--out DIR]\n' +
    '                   [--threads N] [--opt-level L] [--bench N [--warmup N]] [--quiet]');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { inputs: [], threads: 1, optLevel: 'all', bench: 0, warmup: 5, out: null, model: null, quiet: false };
  const num = (flag, v) => {
    if (!/^\d+$/.test(v ?? '')) usage(`${flag} wants a number`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} wants a value`));
    if (a === '--input') {
      const v = next();
      const eq = v.indexOf('=');
      if (eq <= 0) usage('--input wants NAME=FILE.npy');
      o.inputs.push([v.slice(0, eq), path.resolve(v.slice(eq + 1))]);
    } else if (a === '--input-list') o.inputs.push(...readList(next()));
    else if (a === '--out') o.out = next();
    else if (a === '--threads') o.threads = num(a, next());
    else if (a === '--opt-level') o.optLevel = next();
    else if (a === '--bench') o.bench = num(a, next());
    else if (a === '--warmup') o.warmup = num(a, next());
    else if (a === '--quiet') o.quiet = true;
    else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (o.model) usage(`one model only (got ${o.model} and ${a})`);
    else o.model = a;
  }
  if (!o.model) usage('no model');
  if (!['disabled', 'basic', 'extended', 'all'].includes(o.optLevel)) usage(`bad --opt-level ${o.optLevel}`);
  if (o.threads < 1) usage('--threads wants at least 1');
  return o;
}

function median(sorted) {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const ort = loadOrt();
  const session = await ort.InferenceSession.create(o.model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: o.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: o.optLevel,
  });

  const feeds = {};
  for (const [name, file] of o.inputs) {
    if (!session.inputNames.includes(name)) throw new Error(`${o.model} has no input ${name} (inputs: ${session.inputNames.join(', ')})`);
    const a = readNpy(file);
    feeds[name] = new ort.Tensor(a.dtype, a.data, a.shape);
  }
  const missing = session.inputNames.filter((n) => !(n in feeds));
  if (missing.length) throw new Error(`no value for input(s) ${missing.join(', ')} of ${o.model}`);

  let results = await session.run(feeds);

  if (o.bench > 0) {
    for (let i = 0; i < o.warmup; i++) results = await session.run(feeds);
    const ms = [];
    for (let i = 0; i < o.bench; i++) {
      const t0 = process.hrtime.bigint();
      results = await session.run(feeds);
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    ms.sort((a, b) => a - b);
    const f = (x) => x.toFixed(3);
    console.log(`ort-bench: model=${path.basename(o.model)} threads=${o.threads} opt=${o.optLevel} ` +
      `warmup=${o.warmup} runs=${o.bench} median_ms=${f(median(ms))} min_ms=${f(ms[0])} max_ms=${f(ms[ms.length - 1])}`);
  }

  if (o.out) {
    fs.mkdirSync(o.out, { recursive: true });
    const lines = [];
    for (const name of session.outputNames) {
      const t = results[name];
      const file = `${safeName(name)}.npy`;
      writeNpy(path.join(o.out, file), { dtype: t.type, shape: t.dims.map(Number), data: t.data });
      lines.push(`${name} ${file}`);
      if (!o.quiet) console.log(`${name}: ${t.type} [${t.dims.join(', ')}] -> ${path.join(o.out, file)}`);
    }
    fs.writeFileSync(path.join(o.out, 'outputs.list'), lines.join('\n') + '\n');
  }
  await session.release?.();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`ort-run: ${e.message ?? e}`);
    process.exit(1);
  });
}
