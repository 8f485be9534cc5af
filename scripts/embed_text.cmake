# Turns a text file into a C++ source defining `const std::string_view <NAME>` in <NAMESPACE>.
# Usage: cmake -DINPUT=<file> -DOUTPUT=<file.cc> -DNAMESPACE=<ns> -DNAME=<symbol>
#               -P embed_text.cmake
file(READ "${INPUT}" content)
set(delimiter "hydrant_embed")
string(FIND "${content}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter )${delimiter}\"")
endif()
get_filename_component(input_name "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${input_name} by scripts/embed_text.cmake; do not edit.\n"
  "#include <string_view>\n\n"
  "namespace ${NAMESPACE} {\n"
  "extern const std::string_view ${NAME};\n"
  "const std::string_view ${NAME} = R\"${delimiter}(${content})${delimiter}\";\n"
  "}  // namespace ${NAMESPACE}\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
