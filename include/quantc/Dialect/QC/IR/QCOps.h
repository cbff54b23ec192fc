//===- QCOps.h - qc operations ----------------------------------*- C++ -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_DIALECT_QC_IR_QCOPS_H
#define QUANTC_DIALECT_QC_IR_QCOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "quantc/Dialect/QC/IR/QCDialect.h"
#include "quantc/Dialect/QC/IR/QCTypes.h"

#define GET_OP_CLASSES
#include "quantc/Dialect/QC/IR/QCOps.h.inc"

#endif // QUANTC_DIALECT_QC_IR_QCOPS_H
