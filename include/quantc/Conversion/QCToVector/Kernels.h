//===- Kernels.h - Quantized CPU kernels built in MLIR ----------*- C++ -*-===//
//
// Part of quantc.
//
// The kernels that bit-width lowering (`qc-lower-bitwidth`) calls: private
// functions on memrefs, built with scf, vector and LLVM intrinsic ops for one
// instruction set, and inserted into the module on first use.
//
//   @qc_kernel_matmul_<type>_<isa>(%x: memref<?x?xf32>, %w: memref<?xi8>,
//                                  %y: memref<?x?xf32>)
//     y[m, n] = sum_k x[m, k] * dequant(w)[n, k]: `w` holds N rows of K
//     weights in llama.cpp's block layout. For block types the activations
//     are first quantized to 8-bit blocks of 32 (a scale per block, as
//     llama.cpp's Q8 activations); each weight block is decoded to bytes in
//     registers and multiplied with 8-bit dot products accumulating in int32
//     (vpdpbusd, pmaddubsw+pmaddwd, sdot), its scales applied per block in
//     f32. Float weights (f32, f16, bf16) are multiplied in f32 FMA.
//     Rows are tiled R at a time and activation columns C at a time; tiles
//     run on the runtime's threads through scf.parallel.
//
//   @qc_kernel_gather_rows_<type>(%table: memref<?xi8>, %ids: memref<?xiN>,
//                                 %out: memref<?x?xf32>)
//     out[i, :] = dequant(table row clamp(ids[i])).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_CONVERSION_QCTOVECTOR_KERNELS_H
#define QUANTC_CONVERSION_QCTOVECTOR_KERNELS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"

#include <optional>

namespace quantc {

/// The instruction set a kernel is written for.
enum class KernelISA {
  Generic,    ///< portable vector ops only
  AVX2,       ///< x86-64 AVX2 + FMA + F16C: pmaddubsw/pmaddwd
  AVXVNNI,    ///< AVX2 + AVX-VNNI: vpdpbusd on ymm (VEX)
  AVX512VNNI, ///< AVX-512 VL + VNNI: vpdpbusd on ymm (EVEX)
  NEONDot,    ///< AArch64 NEON with the dot-product extension: sdot
};

/// "generic", "avx2", "avxvnni", "avx512vnni", "neon-dotprod".
llvm::StringRef stringifyKernelISA(KernelISA isa);
std::optional<KernelISA> symbolizeKernelISA(llvm::StringRef name);
/// The best ISA for an LLVM triple and feature string ("+avx2,+fma,...").
KernelISA selectKernelISA(llvm::StringRef triple, llvm::StringRef features);

/// True when getOrCreateMatmulKernel/getOrCreateGatherRowsKernel support
/// weights of element type `type`.
bool hasQuantizedKernel(mlir::Type type);

/// The declaration of the matmul kernel for weights of element type
/// `weightType` (inserted at the end of `module` on first use; its body is
/// built by buildKernelBody). Fails with a diagnostic at `loc` for a
/// type without a kernel.
///
/// With `epilogue` (a private `(f32, f32...) -> f32` function), the kernel
/// takes one more buffer per `extraRanks` entry after y (rank 1: indexed by
/// the output column, a bias; rank 2: by (row, column)) and stores
/// `epilogue(sum, extra[...]...)`: a bias, activation or residual add fused
/// into the matmul's store. With `f32Activations` (weight-only
/// quantization), the activations stay f32 and each weight group is decoded
/// to f32 in registers and multiplied with FMAs.
mlir::FailureOr<mlir::func::FuncOp>
getOrCreateMatmulKernel(mlir::ModuleOp module, mlir::Type weightType,
                        KernelISA isa, mlir::Location loc,
                        mlir::FlatSymbolRefAttr epilogue = {},
                        llvm::ArrayRef<int64_t> extraRanks = {},
                        bool f32Activations = false);

/// The row-gather kernel for a table of element type `tableType` and
/// indices of integer type `indexType`.
mlir::FailureOr<mlir::func::FuncOp>
getOrCreateGatherRowsKernel(mlir::ModuleOp module, mlir::Type tableType,
                            mlir::Type indexType, mlir::Location loc);

/// The causal attention kernel for f32 queries and caches with `headSize`
/// (a multiple of 8) elements per head and positions of integer type
/// `posType`:
///   (%q: memref<?x?xDxf32>, %k: memref<?x?xDxf32>, %v: memref<?x?xDxf32>,
///    %pos: memref<?xiN>, %out: memref<?x?xDxf32>, %scale: f32)
mlir::FailureOr<mlir::func::FuncOp>
getOrCreateAttentionKernel(mlir::ModuleOp module, int64_t headSize,
                           mlir::Type posType, mlir::Location loc);

/// Builds the body of a kernel that getOrCreate*Kernel declared (a
/// `func.func` with a `qc.kernel` descriptor). The bodies use memref.alloc
/// and memref.dealloc for scratch space and LLVM intrinsics, so they are
/// built after bufferization and buffer deallocation (`qc-build-kernels`).
mlir::LogicalResult buildKernelBody(mlir::func::FuncOp func);

} // namespace quantc

#endif // QUANTC_CONVERSION_QCTOVECTOR_KERNELS_H
