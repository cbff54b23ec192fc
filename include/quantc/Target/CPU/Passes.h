//===- Passes.h - CPU backend passes -----------------------------*- C++ -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TARGET_CPU_PASSES_H
#define QUANTC_TARGET_CPU_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace quantc {

#define GEN_PASS_DECL
#include "quantc/Target/CPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "quantc/Target/CPU/Passes.h.inc"

/// Registers the CPU passes and the `qc-cpu-lower-to-llvm` pipeline.
void registerCPUPassesAndPipelines();

} // namespace quantc

#endif // QUANTC_TARGET_CPU_PASSES_H
