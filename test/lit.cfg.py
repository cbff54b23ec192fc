# -*- Python -*-
# lit configuration for quantc's FileCheck tests.

import os

import lit.formats

config.name = "quantc"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".test"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "Inputs", "CMakeLists.txt"]

config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.quantc_obj_root, "test")

# Our tools first, then FileCheck / not / count from LLVM.
path = os.path.pathsep.join(
    [config.quantc_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")]
)
config.environment["PATH"] = path + os.path.pathsep + os.environ.get("PATH", "")

config.substitutions.append(("%quantc_src_root", config.quantc_src_root))
# What scripts/setup.sh installs from npm (node-llama-cpp, ...).
config.substitutions.append(("%quantc_tools", config.quantc_tools))
# The CMake and compilers quantc was built with, for tests that build
# projects against quantc's CMake package.
config.substitutions.append(("%cmake", config.cmake))
config.substitutions.append(("%c_compiler", config.c_compiler))
config.substitutions.append(("%cxx_compiler", config.cxx_compiler))

# The runtime archive `quantc compile --emit so` links (runtime/): tests that
# run compiled models need it.
if os.path.exists(os.path.join(config.quantc_obj_root, "lib", "libquantc_runtime.a")):
    config.available_features.add("quantc-runtime")
config.substitutions.append(("%quantc_obj_root", config.quantc_obj_root))

# Instruction sets of this CPU, for tests that run kernels written for one:
# cpu-avx2 (AVX2 + FMA + F16C), cpu-avxvnni, cpu-avx512vnni (+ VL, BW).
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next(
            (line.split(":", 1)[1].split() for line in cpuinfo if line.startswith("flags")), []
        )
except OSError:
    flags = []
if {"avx2", "fma", "f16c"} <= set(flags):
    config.available_features.add("cpu-avx2")
    if "avx_vnni" in flags:
        config.available_features.add("cpu-avxvnni")
    if {"avx512_vnni", "avx512vl", "avx512bw"} <= set(flags):
        config.available_features.add("cpu-avx512vnni")
