# quantc_add_model(<target> MODEL <file>
#                  [TARGET host|x86_64-avx2|x86_64-avx512|aarch64-neon]
#                  [NAME <c-identifier>]
#                  [OPTIONS <extra quantc compile arguments>...])
#
# Compiles MODEL (ONNX, MLIR, ...) with `quantc compile` at build time into a
# static library <target> that defines the model accessor
# `const qc_model *<NAME>(void)` (NAME defaults to <target>) and carries the
# generated header <NAME>.h on its include path. Linking <target> also links
# quantc::runtime. The model is recompiled when the file or quantc changes.
function(quantc_add_model target)
  cmake_parse_arguments(ARG "" "MODEL;TARGET;NAME" "OPTIONS" ${ARGN})
  if(NOT ARG_MODEL)
    message(FATAL_ERROR "quantc_add_model(${target}): MODEL is required")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "quantc_add_model(${target}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_TARGET)
    set(ARG_TARGET host)
  endif()
  if(NOT ARG_NAME)
    string(MAKE_C_IDENTIFIER "${target}" ARG_NAME)
  endif()
  get_filename_component(model "${ARG_MODEL}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${model}")
    message(FATAL_ERROR "quantc_add_model(${target}): model file ${model} does not exist")
  endif()

  set(dir "${CMAKE_CURRENT_BINARY_DIR}/quantc/${target}")
  set(object "${dir}/${ARG_NAME}${CMAKE_C_OUTPUT_EXTENSION}")
  if(NOT CMAKE_C_OUTPUT_EXTENSION)
    set(object "${dir}/${ARG_NAME}.o")
  endif()
  set(header "${dir}/include/${ARG_NAME}.h")
  file(MAKE_DIRECTORY "${dir}/include")
  add_custom_command(
    OUTPUT "${object}" "${header}"
    COMMAND "${QUANTC_EXECUTABLE}" compile "${model}" -o "${object}" --emit obj
            --target "${ARG_TARGET}" --name "${ARG_NAME}" --header "${header}"
            ${ARG_OPTIONS}
    DEPENDS "${model}" "${QUANTC_EXECUTABLE}"
    COMMENT "quantc: compiling ${ARG_MODEL} for ${ARG_TARGET}"
    VERBATIM)
  add_custom_target(${target}_quantc_compile DEPENDS "${object}" "${header}")

  add_library(${target} STATIC "${object}")
  set_source_files_properties("${object}" PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  set_target_properties(${target} PROPERTIES LINKER_LANGUAGE CXX)
  add_dependencies(${target} ${target}_quantc_compile)
  target_include_directories(${target} PUBLIC "${dir}/include")
  target_link_libraries(${target} PUBLIC quantc::runtime)
endfunction()
