// llama.cpp's (node-llama-cpp, offline) prompt and generation speed on a GGUF
// model, measured as `quantc generate` measures its own:
//
//   node bench/llama-speed.mjs NODE_LLAMA_CPP_DIR MODEL.gguf "PROMPT" N THREADS CTX
//
// Evaluates the prompt's tokens (with BOS) in one batch, then N single tokens
// one call each (llama_decode without sampling); prints tokens/s for both
// phases (wall clock of the evaluations, JavaScript call overhead included).
import path from "node:path";

const [dir, modelPath, prompt, nText, threadsText, ctxText] = process.argv.slice(2);
const {getLlama} = await import(path.join(dir, "node_modules/node-llama-cpp/dist/index.js"));
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath});
const context = await model.createContext({contextSize: Number(ctxText), threads: Number(threadsText),
                                           batchSize: 512});
const sequence = context.getSequence();
const tokens = [model.tokens.bos, ...model.tokenize(prompt)].filter((t) => t != null);
const n = Number(nText);
// Decoding without sampling in JavaScript: one llama_decode per token (the
// tokens fed are the prompt's, repeated: the cost does not depend on them).
const t0 = performance.now();
await sequence.evaluateWithoutGeneratingNewTokens(tokens);
const t1 = performance.now();
let count = 0;
while (count < n) {
  await sequence.evaluateWithoutGeneratingNewTokens([tokens[1 + (count % (tokens.length - 1))]]);
  ++count;
}
const t2 = performance.now();
console.log(`llama.cpp: prompt: ${tokens.length} tokens in ${((t1 - t0) / 1e3).toFixed(3)} s ` +
            `(${(tokens.length / ((t1 - t0) / 1e3)).toFixed(1)} tokens/s); generation: ${count} tokens ` +
            `in ${((t2 - t1) / 1e3).toFixed(3)} s (${(count / ((t2 - t1) / 1e3)).toFixed(1)} tokens/s)`);
await context.dispose();
await model.dispose();
