// Compares the next-token distributions llama.cpp (node-llama-cpp, offline)
// computes with two GGUF models over the same token sequence, and fails
// unless their logits agree.
//
//   node llama-logits.mjs NODE_LLAMA_CPP_DIR BASE.gguf OTHER.gguf MIN_COSINE
//
// node-llama-cpp gives the probabilities of the whole vocabulary; their logs
// are the logits less a constant per position, so the cosine of the
// mean-centred log-probabilities is the cosine of the mean-centred logits.
// Prints the mean and minimum cosine over the positions, the agreement of
// the argmax and the mean KL divergence KL(BASE || OTHER) of the next-token
// distributions (nats), and exits 1 when the minimum is below MIN_COSINE.
import path from "node:path";

const [dir, baseModel, otherModel, minCosineText] = process.argv.slice(2);
const {getLlama} = await import(path.join(dir, "node_modules/node-llama-cpp/dist/index.js"));
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});

const text = "the tea is hot and the rain is on the road so";
const positions = 24;

async function distributions(modelPath) {
  const model = await llama.loadModel({modelPath});
  const context = await model.createContext({contextSize: 128, threads: 2});
  const sequence = context.getSequence();
  const tokens = model.tokenize(text);
  const forced = [...tokens.slice(1), ...tokens].slice(0, positions);
  const result = [];
  const generator = sequence.evaluateWithMetadata(tokens, {probabilities: true}, {temperature: 0});
  let step = await generator.next();
  while (!step.done && result.length < positions) {
    const probs = step.value.probabilities;
    const logp = new Float64Array(model.tokens.trainContextSize ? probs.size : probs.size);
    for (const [token, p] of probs)
      logp[token] = Math.log(Math.max(p, 1e-30));
    result.push(logp);
    step = await generator.next(forced[result.length - 1]);
  }
  await generator.return();
  await context.dispose();
  await model.dispose();
  return result;
}

function centredCosine(a, b) {
  const mean = (v) => v.reduce((s, x) => s + x, 0) / v.length;
  const ma = mean(a), mb = mean(b);
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; ++i) {
    const x = a[i] - ma, y = b[i] - mb;
    dot += x * y; na += x * x; nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}

function kl(logp, logq) {
  let sum = 0;
  for (let i = 0; i < logp.length; ++i)
    sum += Math.exp(logp[i]) * (logp[i] - logq[i]);
  return sum;
}

const argmax = (v) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);
const base = await distributions(baseModel);
const other = await distributions(otherModel);
let sum = 0, min = 1, agree = 0, klSum = 0;
for (let i = 0; i < base.length; ++i) {
  const c = centredCosine(base[i], other[i]);
  sum += c; min = Math.min(min, c);
  klSum += kl(base[i], other[i]);
  if (argmax(base[i]) === argmax(other[i])) ++agree;
}
const minCosine = Number(minCosineText);
console.log(`${path.basename(otherModel)} vs ${path.basename(baseModel)}: ` +
            `${base.length} positions, mean cosine ${(sum / base.length).toFixed(6)}, ` +
            `min cosine ${min.toFixed(6)}, argmax agrees at ${agree}/${base.length}, ` +
            `mean KL ${(klSum / base.length).toExponential(3)}`);
if (!(min >= minCosine)) {
  console.log(`FAIL: min cosine ${min.toFixed(6)} < ${minCosine}`);
  process.exit(1);
}
console.log(`ok: min cosine >= ${minCosine}`);
