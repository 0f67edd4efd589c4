#include "events/json_printer.h"

#include <charconv>
#include <type_traits>

#include <flatbuffers/idl.h>
#include <flatbuffers/util.h>

namespace kezek::events {
namespace {

using flatbuffers::BaseType;
using flatbuffers::FieldDef;
using flatbuffers::StructDef;
using flatbuffers::Table;
using flatbuffers::Type;

// Calls f(T{}) with the C++ type of a scalar base type (a bool, a union's type and NONE are
// bytes) and returns what f returns; false for the types reached through an offset.
template <typename F>
bool WithScalarType(BaseType base, F&& f) {
  switch (base) {
    case flatbuffers::BASE_TYPE_NONE:
    case flatbuffers::BASE_TYPE_UTYPE:
    case flatbuffers::BASE_TYPE_BOOL:
    case flatbuffers::BASE_TYPE_UCHAR: return f(uint8_t{});
    case flatbuffers::BASE_TYPE_CHAR: return f(int8_t{});
    case flatbuffers::BASE_TYPE_SHORT: return f(int16_t{});
    case flatbuffers::BASE_TYPE_USHORT: return f(uint16_t{});
    case flatbuffers::BASE_TYPE_INT: return f(int32_t{});
    case flatbuffers::BASE_TYPE_UINT: return f(uint32_t{});
    case flatbuffers::BASE_TYPE_LONG: return f(int64_t{});
    case flatbuffers::BASE_TYPE_ULONG: return f(uint64_t{});
    case flatbuffers::BASE_TYPE_FLOAT: return f(float{});
    case flatbuffers::BASE_TYPE_DOUBLE: return f(double{});
    case flatbuffers::BASE_TYPE_STRING:
    case flatbuffers::BASE_TYPE_VECTOR:
    case flatbuffers::BASE_TYPE_STRUCT:
    case flatbuffers::BASE_TYPE_UNION:
    case flatbuffers::BASE_TYPE_ARRAY: break;
  }
  return false;
}

class Printer {
 public:
  Printer(const flatbuffers::IDLOptions& opts, std::string* text) : opts_(opts), text_(*text) {}

  // A table or struct: `{"name": value,...}`, the fields in schema order; a field is written
  // when present, or when it is a scalar and default scalars are asked for.
  bool Struct(const StructDef& def, const Table* table) {
    text_ += '{';
    bool first = true;
    const uint8_t* prev = nullptr;  // the field before: a union's type
    for (const FieldDef* field : def.fields.vec) {
      const BaseType base = field->value.type.base_type;
      const bool present = def.fixed || table->CheckField(field->value.offset);
      const bool anyway = (opts_.output_default_scalars_in_json || field->key) && flatbuffers::IsScalar(base) &&
                          !field->deprecated;
      if (!present && !anyway) continue;
      if (!first) text_ += ',';
      first = false;
      text_ += '"';
      text_ += field->name;
      text_ += "\": ";
      if (!present && field->IsScalarOptional()) {
        text_ += "null";  // an optional scalar left out (`= null` in the schema), as GenerateText says it
      } else if (!(flatbuffers::IsScalar(base) ? ScalarField(*field, table, def.fixed)
                                               : OffsetField(*field, table, def.fixed, prev))) {
        return false;
      }
      prev = def.fixed ? reinterpret_cast<const uint8_t*>(table) + field->value.offset
                       : table->GetAddressOf(field->value.offset);
    }
    text_ += '}';
    return true;
  }

 private:
  template <typename T>
  bool Scalar(T value, const Type& type) {
    if (flatbuffers::IsBool(type.base_type)) {
      text_ += value != 0 ? "true" : "false";
      return true;
    }
    if (opts_.output_enum_identifiers && type.enum_def != nullptr) {
      if (const auto* named = type.enum_def->ReverseLookup(static_cast<int64_t>(value))) {
        text_ += '"';
        text_ += named->name;
        text_ += '"';
        return true;
      }
      if (value != 0 && type.enum_def->attributes.Lookup("bit_flags") != nullptr) return false;  // not mirrored
    }
    if constexpr (std::is_floating_point_v<T>) {
      text_ += flatbuffers::NumToString(value);  // FlatBuffers' own formatting of a float
    } else {
      using Wide = std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>;  // int8_t prints as a number
      char digits[24];
      const auto written = std::to_chars(digits, digits + sizeof digits, static_cast<Wide>(value));
      text_.append(digits, written.ptr);
    }
    return true;
  }

  template <typename T>
  bool ScalarOf(const FieldDef& field, const Table* table, bool fixed) {
    if (fixed) return Scalar(reinterpret_cast<const flatbuffers::Struct*>(table)->GetField<T>(field.value.offset), field.value.type);
    T fallback{};
    // An optional scalar's constant is "null": it is read here only when present, so no fallback.
    if (!field.IsOptional() && field.value.constant != "0" &&
        !flatbuffers::StringToNumber(field.value.constant.c_str(), &fallback)) {
      return false;
    }
    return Scalar(table->GetField<T>(field.value.offset, fallback), field.value.type);
  }

  bool ScalarField(const FieldDef& field, const Table* table, bool fixed) {
    return WithScalarType(field.value.type.base_type,
                          [&](auto t) { return ScalarOf<decltype(t)>(field, table, fixed); });
  }

  bool OffsetField(const FieldDef& field, const Table* table, bool fixed, const uint8_t* prev) {
    if (fixed || field.flexbuffer) return false;  // structs within structs, fixed arrays, FlexBuffers: not mirrored
    if (field.nested_flatbuffer != nullptr) {
      const auto* bytes = table->GetPointer<const flatbuffers::Vector<uint8_t>*>(field.value.offset);
      return Struct(*field.nested_flatbuffer, flatbuffers::GetRoot<Table>(bytes->data()));
    }
    const void* value = flatbuffers::IsStruct(field.value.type) ? table->GetStruct<const void*>(field.value.offset)
                                                                : table->GetPointer<const void*>(field.value.offset);
    return Offset(value, field.value.type, prev, -1);
  }

  // A value reached through an offset (or a struct's place): a union's member, a table or
  // struct, a string, a vector. `index` is the element's in a vector of unions, else -1.
  bool Offset(const void* value, const Type& type, const uint8_t* prev, int64_t index) {
    switch (type.base_type) {
      case flatbuffers::BASE_TYPE_UNION: {
        if (prev == nullptr) return false;
        uint8_t kind = *prev;
        if (index >= 0) {
          const auto* kinds = reinterpret_cast<const flatbuffers::Vector<uint8_t>*>(prev + flatbuffers::ReadScalar<flatbuffers::uoffset_t>(prev));
          kind = kinds->Get(static_cast<flatbuffers::uoffset_t>(index));
        }
        const auto* member = type.enum_def->ReverseLookup(kind, true);
        return member != nullptr && Offset(value, member->union_type, nullptr, -1);
      }
      case flatbuffers::BASE_TYPE_STRUCT: return Struct(*type.struct_def, reinterpret_cast<const Table*>(value));
      case flatbuffers::BASE_TYPE_STRING: {
        const auto* s = reinterpret_cast<const flatbuffers::String*>(value);
        return flatbuffers::EscapeString(s->c_str(), s->size(), &text_, opts_.allow_non_utf8, opts_.natural_utf8);
      }
      case flatbuffers::BASE_TYPE_VECTOR: return Vector(value, type.VectorType(), prev);
      case flatbuffers::BASE_TYPE_NONE:
      case flatbuffers::BASE_TYPE_UTYPE:
      case flatbuffers::BASE_TYPE_BOOL:
      case flatbuffers::BASE_TYPE_CHAR:
      case flatbuffers::BASE_TYPE_UCHAR:
      case flatbuffers::BASE_TYPE_SHORT:
      case flatbuffers::BASE_TYPE_USHORT:
      case flatbuffers::BASE_TYPE_INT:
      case flatbuffers::BASE_TYPE_UINT:
      case flatbuffers::BASE_TYPE_LONG:
      case flatbuffers::BASE_TYPE_ULONG:
      case flatbuffers::BASE_TYPE_FLOAT:
      case flatbuffers::BASE_TYPE_DOUBLE:
      case flatbuffers::BASE_TYPE_ARRAY: break;
    }
    return false;
  }

  template <typename T>
  bool Scalars(const void* value, const Type& element) {
    const auto& vector = *reinterpret_cast<const flatbuffers::Vector<T>*>(value);
    text_ += '[';
    for (flatbuffers::uoffset_t i = 0; i < vector.size(); ++i) {
      if (i != 0) text_ += ',';
      if (!Scalar(vector.Get(i), element)) return false;
    }
    text_ += ']';
    return true;
  }

  bool Vector(const void* value, const Type& element, const uint8_t* prev) {
    if (flatbuffers::IsScalar(element.base_type)) {
      return WithScalarType(element.base_type, [&](auto t) { return Scalars<decltype(t)>(value, element); });
    }
    if (element.base_type == flatbuffers::BASE_TYPE_ARRAY) return false;
    // Strings, vectors, structs, tables, unions: offsets (structs inline).
    const auto& vector = *reinterpret_cast<const flatbuffers::Vector<flatbuffers::Offset<void>>*>(value);
    const bool structs = flatbuffers::IsStruct(element);
    text_ += '[';
    for (flatbuffers::uoffset_t i = 0; i < vector.size(); ++i) {
      if (i != 0) text_ += ',';
      const void* item = structs ? static_cast<const void*>(vector.Data() + element.struct_def->bytesize * i) : vector[i];
      if (!Offset(item, element, prev, i)) return false;
    }
    text_ += ']';
    return true;
  }

  const flatbuffers::IDLOptions& opts_;
  std::string& text_;
};

}  // namespace

bool PrintJson(const flatbuffers::Parser& parser, const uint8_t* buffer, std::string* text) {
  const flatbuffers::IDLOptions& opts = parser.opts;
  if (parser.root_struct_def_ == nullptr || opts.indent_step >= 0 || !opts.strict_json || opts.protobuf_ascii_alike ||
      opts.size_prefixed) {
    return false;
  }
  const size_t before = text->size();
  Printer printer(opts, text);
  if (printer.Struct(*parser.root_struct_def_, flatbuffers::GetRoot<Table>(buffer))) return true;
  text->resize(before);
  return false;
}

}  // namespace kezek::events
