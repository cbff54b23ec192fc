// Prints the token ids llama.cpp (node-llama-cpp, offline) gives each text of
// a text file, one line of space-separated ids per text, for comparison with
// `quantc tokenize`.
//
//   node llama-tokenize.mjs NODE_LLAMA_CPP_DIR VOCAB.gguf TEXTS.txt
//
// TEXTS.txt holds one text per line, with the escapes \n, \t, \r and \\
// (decoded here exactly as `quantc tokenize --escaped-lines` decodes them).
// Special tokens in the text are parsed (llama_tokenize with
// parse_special = true) and no BOS/EOS is added (add_special = false).
import fs from "node:fs";
import path from "node:path";

const [dir, vocabPath, textsPath] = process.argv.slice(2);
const {getLlama} = await import(path.resolve(dir, "node_modules/node-llama-cpp/dist/index.js"));
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath: vocabPath, vocabOnly: true});

const unescape = (line) =>
  line.replace(/\\(.)/g, (_, c) => ({n: "\n", t: "\t", r: "\r", "\\": "\\"})[c] ?? "\\" + c);

const lines = fs.readFileSync(textsPath, "utf8").split("\n");
if (lines.at(-1) === "") lines.pop();
const out = [];
for (const line of lines)
  out.push(Array.from(model.tokenize(unescape(line), true)).join(" "));
process.stdout.write(out.join("\n") + "\n");
await model.dispose();
