# Helpers that keep every quantc target on the same flags and on the shared
# LLVM/MLIR libraries.

# quantc_add_mlir_library(<name> <sources>...
#   [DEPENDS <tablegen targets>...] [LINK_LIBS <libs>...] [IMPORTS_MODULES])
#
# A static library of MLIR-facing code. It links libMLIR.so and libLLVM.so
# (never the static MLIR component libraries). Sources are only scanned for
# C++20 module imports when IMPORTS_MODULES is given: scanning a TU that
# includes MLIR headers costs a full preprocessing pass.
function(quantc_add_mlir_library name)
  cmake_parse_arguments(ARG "IMPORTS_MODULES" "" "DEPENDS;LINK_LIBS" ${ARGN})
  add_library(${name} STATIC ${ARG_UNPARSED_ARGUMENTS})
  target_compile_definitions(${name} PUBLIC ${QUANTC_LLVM_DEFINITIONS})
  target_link_libraries(${name} PUBLIC ${ARG_LINK_LIBS} MLIR LLVM)
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
  set_target_properties(${name} PROPERTIES CXX_SCAN_FOR_MODULES ${ARG_IMPORTS_MODULES})
  if(QUANTC_CCACHE AND NOT ARG_IMPORTS_MODULES)
    set_target_properties(${name} PROPERTIES CXX_COMPILER_LAUNCHER ${QUANTC_CCACHE})
  endif()
endfunction()

# quantc_add_module_library(<name> MODULES <interface units>...
#   [SOURCES <implementation units>...] [LINK_LIBS <libs>...])
#
# An LLVM-free library exposed as C++20 named modules.
function(quantc_add_module_library name)
  cmake_parse_arguments(ARG "" "" "MODULES;SOURCES;LINK_LIBS" ${ARGN})
  add_library(${name} STATIC)
  target_sources(${name}
    PUBLIC FILE_SET CXX_MODULES BASE_DIRS ${CMAKE_CURRENT_SOURCE_DIR} FILES ${ARG_MODULES})
  if(ARG_SOURCES)
    target_sources(${name} PRIVATE ${ARG_SOURCES})
  endif()
  target_compile_features(${name} PUBLIC cxx_std_20)
  target_link_libraries(${name} PUBLIC ${ARG_LINK_LIBS})
endfunction()

# quantc_add_tool(<name> <sources>... [LINK_LIBS <libs>...] [IMPORTS_MODULES])
function(quantc_add_tool name)
  cmake_parse_arguments(ARG "IMPORTS_MODULES" "" "LINK_LIBS" ${ARGN})
  add_executable(${name} ${ARG_UNPARSED_ARGUMENTS})
  target_compile_definitions(${name} PRIVATE ${QUANTC_LLVM_DEFINITIONS})
  target_link_libraries(${name} PRIVATE ${ARG_LINK_LIBS} MLIR LLVM)
  set_target_properties(${name} PROPERTIES CXX_SCAN_FOR_MODULES ${ARG_IMPORTS_MODULES})
  if(QUANTC_CCACHE AND NOT ARG_IMPORTS_MODULES)
    set_target_properties(${name} PROPERTIES CXX_COMPILER_LAUNCHER ${QUANTC_CCACHE})
  endif()
  install(TARGETS ${name} RUNTIME DESTINATION bin)
endfunction()
