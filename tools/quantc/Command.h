//===- Command.h - quantc driver commands -----------------------*- C++ -*-===//
//
// Part of quantc.
//
// A command of the `quantc` driver is an llvm::cl::SubCommand plus the
// function that runs it. Each command lives in its own file and registers
// itself with a static `Command` object:
//
//   static cl::SubCommand cmd("inspect", "Print a model's tensors");
//   static cl::opt<std::string> file(cl::Positional, cl::sub(cmd), ...);
//   static quantc::driver::Command reg(cmd, [] { ...; return 0; });
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TOOLS_QUANTC_COMMAND_H
#define QUANTC_TOOLS_QUANTC_COMMAND_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/CommandLine.h"

namespace quantc::driver {

class Command {
public:
  using RunFn = int (*)();
  Command(llvm::cl::SubCommand &subCommand, RunFn run);

  llvm::cl::SubCommand &subCommand;
  RunFn run;

  /// Every registered command, in registration order.
  static llvm::ArrayRef<const Command *> all();
};

} // namespace quantc::driver

#endif // QUANTC_TOOLS_QUANTC_COMMAND_H
