//===- Passes.td - qc transformation passes -----------------*- tablegen -*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TRANSFORMS_PASSES_TD
#define QUANTC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Analysis and reporting
//===----------------------------------------------------------------------===//

def QCPrintWeightStatsPass : Pass<"qc-print-weight-stats", "::mlir::ModuleOp"> {
  let summary = "Print a table of the module's weights and their storage";
  let description = [{
    Prints one row per `qc.global`: its name, logical shape, element type,
    bytes in storage and bits per weight, then the totals and the size the
    same weights would take in `f32`. The IR is not changed.

    ```
    $ quantc-opt --qc-print-weight-stats model.mlir -o /dev/null
    ```
  }];
  let options = [
    Option<"sortBySize", "sort-by-size", "bool", /*default=*/"false",
           "List the largest weights first instead of in IR order">,
  ];
  let dependentDialects = ["::quantc::qc::QCDialect"];
}

#endif // QUANTC_TRANSFORMS_PASSES_TD
