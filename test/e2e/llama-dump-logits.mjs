// Writes what llama.cpp (node-llama-cpp, offline) computes for a text with a
// GGUF model, for comparing another implementation's logits with it:
//
//   node llama-dump-logits.mjs NODE_LLAMA_CPP_DIR MODEL.gguf TEXT N OUT_DIR
//
// OUT_DIR/tokens.npy: the first N token ids of TEXT (llama.cpp's tokenizer,
// without BOS; or TEXT = "ids:ID ID ..." for given ids), int32; OUT_DIR/logprobs.npy: N x vocab float32, row i the
// log-probabilities of the token after tokens[0..i]; OUT_DIR/greedy.npy: the
// N greedy (argmax) continuation tokens after all N, int32.
import fs from "node:fs";
import path from "node:path";

const [dir, modelPath, text, countText, outDir] = process.argv.slice(2);
const count = Number(countText);
const {getLlama} = await import(path.join(dir, "node_modules/node-llama-cpp/dist/index.js"));
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath});
const context = await model.createContext({contextSize: 4 * count + 16, threads: 2});
const sequence = context.getSequence();
// "ids:1 2 3" gives the token ids themselves (e.g. quantc-tokenize's).
const tokens = text.startsWith("ids:")
  ? text.slice(4).trim().split(/\s+/).map(Number).slice(0, count)
  : model.tokenize(text).slice(0, count);
if (tokens.length < count)
  throw new Error(`the text has ${tokens.length} tokens, fewer than ${count}`);

let vocab = 0;
const rows = [];
const generator = sequence.evaluateWithMetadata(tokens.slice(0, 1), {probabilities: true}, {temperature: 0});
let step = await generator.next();
while (!step.done) {
  const probs = step.value.probabilities;
  vocab = Math.max(vocab, ...probs.keys()) + 1;
  rows.push(probs);
  if (rows.length === count)
    break;
  step = await generator.next(tokens[rows.length]);
}
// Greedy continuation after the N tokens.
const greedy = [];
let probs = rows[rows.length - 1];
for (let i = 0; i < count; ++i) {
  let best = 0, bestP = -1;
  for (const [t, p] of probs)
    if (p > bestP) { bestP = p; best = t; }
  greedy.push(best);
  step = await generator.next(best);
  if (step.done) break;
  probs = step.value.probabilities;
}
await generator.return();

function npy(file, descr, shape, data) {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  header += " ".repeat(63 - ((10 + header.length) % 64)) + "\n";
  const head = Buffer.alloc(10);
  head.write("\x93NUMPY", 0, "latin1");
  head[6] = 1; head[7] = 0; head.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, "latin1"), Buffer.from(data.buffer)]));
}
const logp = new Float32Array(count * vocab);
rows.forEach((r, i) => {
  for (let t = 0; t < vocab; ++t)
    logp[i * vocab + t] = Math.log(Math.max(r.get(t) ?? 0, 1e-30));
});
npy(path.join(outDir, "tokens.npy"), "<i4", [count], Int32Array.from(tokens));
npy(path.join(outDir, "logprobs.npy"), "<f4", [count, vocab], logp);
npy(path.join(outDir, "greedy.npy"), "<i4", [greedy.length], Int32Array.from(greedy));
await context.dispose();
await model.dispose();
