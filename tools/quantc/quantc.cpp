//===- quantc.cpp - The quantc driver -------------------------------------===//
//
// Part of quantc.
//
// `quantc <command> [options]`: the entry point that build systems and users
// call. Commands register themselves (see Command.h).
//
//===----------------------------------------------------------------------===//

#include "Command.h"

#include "quantc/Config/Version.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace quantc::driver;

static SmallVector<const Command *> &registry() {
  static SmallVector<const Command *> commands;
  return commands;
}

Command::Command(cl::SubCommand &subCommand, RunFn run)
    : subCommand(subCommand), run(run) {
  registry().push_back(this);
}

ArrayRef<const Command *> Command::all() { return registry(); }

static void printVersion(raw_ostream &os) {
  os << "quantc " << QUANTC_VERSION << " (LLVM/MLIR " << QUANTC_LLVM_VERSION
     << ")\n";
}

int main(int argc, char **argv) {
  InitLLVM initLLVM(argc, argv);
  cl::SetVersionPrinter(printVersion);
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "quantc: ahead-of-time quantization compiler\n\n"
          "  Imports models (ONNX, GGUF, safetensors), quantizes them and\n"
          "  emits native code. The pass driver is quantc-opt; importers and\n"
          "  exporters are in quantc-translate.\n",
          &errs()))
    return 1;

  for (const Command *command : Command::all())
    if (command->subCommand)
      return command->run();

  errs() << "quantc: error: no command given; see 'quantc --help'\n";
  return 1;
}
