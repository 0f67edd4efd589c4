# Writes schema_text.h: each schema as a raw string literal, keyed by its include name.
set(content "// Generated from schemas/*.fbs. Do not edit.\n#pragma once\n#include <array>\n#include <string_view>\nnamespace kezek::schema_text {\nstruct File { std::string_view name; std::string_view text; };\ninline constexpr std::array kFiles = {\n")
string(REPLACE "," ";" names "${NAMES}")
foreach(name ${names})
  file(READ ${DIR}/${name}.fbs text)
  string(APPEND content "  File{\"${name}.fbs\", R\"KZFBS(${text})KZFBS\"},\n")
endforeach()
string(APPEND content "};\n}  // namespace kezek::schema_text\n")
file(WRITE ${OUT} "${content}")
