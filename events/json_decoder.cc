#include "events/json_decoder.h"

#include <cstring>
#include <cstdint>
#include <map>

#include <flatbuffers/idl.h>
#include <simdjson.h>

namespace kezek::events {

namespace {

namespace dom = simdjson::dom;

// A field as the decoder handles it, read once from the parser's schema.
struct Field {
  enum class Kind { kScalar, kEnum, kString, kTable, kTables, kStrings, kUnionType, kUnion };
  std::string name;
  flatbuffers::voffset_t slot = 0;
  Kind kind = Kind::kScalar;
  flatbuffers::BaseType base = flatbuffers::BASE_TYPE_NONE;  // of a scalar, an enum or a union type
  int enum_index = -1;   // kEnum, kUnionType: the names of its values
  int table = -1;        // kTable, kTables: the table of its values
  int union_type = -1;   // kUnion: the index of its type field in the same table
};

struct Table {
  std::vector<Field> fields;
  std::vector<int> union_tables;  // for a table holding a union: the table of each type value (-1: none)
};

struct Enum {
  std::vector<std::pair<std::string, int64_t>> values;
  const int64_t* Find(std::string_view name) const {
    for (const auto& [n, v] : values) {
      if (n == name) return &v;
    }
    return nullptr;
  }
};

// The range of each integer type; false for any other type.
bool InRange(flatbuffers::BaseType base, int64_t v) {
  const auto within = [v](auto type_min, auto type_max) {
    return v >= static_cast<int64_t>(type_min) && static_cast<uint64_t>(v) <= static_cast<uint64_t>(type_max);
  };
  if (base == flatbuffers::BASE_TYPE_BOOL) return v == 0 || v == 1;
  if (base == flatbuffers::BASE_TYPE_UTYPE || base == flatbuffers::BASE_TYPE_UCHAR) return within(0, UINT8_MAX);
  if (base == flatbuffers::BASE_TYPE_CHAR) return within(INT8_MIN, INT8_MAX);
  if (base == flatbuffers::BASE_TYPE_SHORT) return within(INT16_MIN, INT16_MAX);
  if (base == flatbuffers::BASE_TYPE_USHORT) return within(0, UINT16_MAX);
  if (base == flatbuffers::BASE_TYPE_INT) return within(INT32_MIN, INT32_MAX);
  if (base == flatbuffers::BASE_TYPE_UINT) return within(0, UINT32_MAX);
  if (base == flatbuffers::BASE_TYPE_LONG) return true;
  if (base == flatbuffers::BASE_TYPE_ULONG) return v >= 0;
  return false;
}

bool IsIntegerType(flatbuffers::BaseType base) {
  return base == flatbuffers::BASE_TYPE_BOOL || base == flatbuffers::BASE_TYPE_UTYPE ||
         (base >= flatbuffers::BASE_TYPE_CHAR && base <= flatbuffers::BASE_TYPE_ULONG);
}

// Writes a scalar of the field's type (the builder forces defaults: canonicalization drops them).
void AddScalar(flatbuffers::FlatBufferBuilder& b, flatbuffers::voffset_t slot, flatbuffers::BaseType base, uint64_t bits) {
  if (base == flatbuffers::BASE_TYPE_BOOL || base == flatbuffers::BASE_TYPE_UTYPE || base == flatbuffers::BASE_TYPE_UCHAR) {
    b.AddElement<uint8_t>(slot, static_cast<uint8_t>(bits), 0);
  } else if (base == flatbuffers::BASE_TYPE_CHAR) {
    b.AddElement<int8_t>(slot, static_cast<int8_t>(bits), 0);
  } else if (base == flatbuffers::BASE_TYPE_SHORT) {
    b.AddElement<int16_t>(slot, static_cast<int16_t>(bits), 0);
  } else if (base == flatbuffers::BASE_TYPE_USHORT) {
    b.AddElement<uint16_t>(slot, static_cast<uint16_t>(bits), 0);
  } else if (base == flatbuffers::BASE_TYPE_INT) {
    b.AddElement<int32_t>(slot, static_cast<int32_t>(bits), 0);
  } else if (base == flatbuffers::BASE_TYPE_UINT) {
    b.AddElement<uint32_t>(slot, static_cast<uint32_t>(bits), 0);
  } else if (base == flatbuffers::BASE_TYPE_LONG) {
    b.AddElement<int64_t>(slot, static_cast<int64_t>(bits), 0);
  } else if (base == flatbuffers::BASE_TYPE_ULONG) {
    b.AddElement<uint64_t>(slot, bits, 0);
  }
}

}  // namespace

struct JsonDecoder::Impl {
  std::vector<Table> tables;
  std::vector<Enum> enums;
  int root = -1;
  std::string identifier;
  dom::parser parser;
  std::vector<char> padded;  // the line, with simdjson's padding after it
  flatbuffers::FlatBufferBuilder* builder = nullptr;

  // Reads the schema: every table reachable from the root, once.
  int TableOf(const flatbuffers::StructDef& def, std::map<const flatbuffers::StructDef*, int>& seen,
              std::map<const flatbuffers::EnumDef*, int>& enum_seen, bool* supported) {
    if (const auto it = seen.find(&def); it != seen.end()) return it->second;
    const int index = static_cast<int>(tables.size());
    seen[&def] = index;
    tables.emplace_back();
    if (def.fixed) *supported = false;  // structs: not in the actions' schema; the parser takes them
    const auto enum_of = [&](const flatbuffers::EnumDef& e) {
      if (const auto it = enum_seen.find(&e); it != enum_seen.end()) return it->second;
      Enum out;
      for (const flatbuffers::EnumVal* v : e.Vals()) out.values.emplace_back(v->name, v->GetAsInt64());
      enums.push_back(std::move(out));
      return enum_seen[&e] = static_cast<int>(enums.size() - 1);
    };
    std::vector<Field> fields;
    std::vector<int> union_tables;
    for (const flatbuffers::FieldDef* f : def.fields.vec) {
      if (f->deprecated) continue;  // a deprecated field in JSON: the parser says what it does
      Field field;
      field.name = f->name;
      field.slot = f->value.offset;
      const flatbuffers::Type& type = f->value.type;
      field.base = type.base_type;
      if (type.base_type == flatbuffers::BASE_TYPE_UTYPE) {
        field.kind = Field::Kind::kUnionType;
        field.enum_index = enum_of(*type.enum_def);
      } else if (type.base_type == flatbuffers::BASE_TYPE_UNION) {
        field.kind = Field::Kind::kUnion;
        for (size_t k = 0; k < fields.size(); ++k) {
          if (fields[k].name == f->name + "_type") field.union_type = static_cast<int>(k);
        }
        if (field.union_type < 0) *supported = false;
        union_tables.clear();
        for (const flatbuffers::EnumVal* v : type.enum_def->Vals()) {
          const int64_t value = v->GetAsInt64();
          if (value < 0 || value > 255) {
            *supported = false;
            continue;
          }
          if (union_tables.size() <= static_cast<size_t>(value)) union_tables.resize(static_cast<size_t>(value) + 1, -1);
          if (v->union_type.base_type == flatbuffers::BASE_TYPE_STRUCT && v->union_type.struct_def != nullptr) {
            union_tables[static_cast<size_t>(value)] = TableOf(*v->union_type.struct_def, seen, enum_seen, supported);
          }
        }
      } else if (type.base_type == flatbuffers::BASE_TYPE_STRING) {
        field.kind = Field::Kind::kString;
      } else if (type.base_type == flatbuffers::BASE_TYPE_STRUCT) {
        field.kind = Field::Kind::kTable;
        field.table = TableOf(*type.struct_def, seen, enum_seen, supported);
      } else if (type.base_type == flatbuffers::BASE_TYPE_VECTOR && type.element == flatbuffers::BASE_TYPE_STRUCT &&
                 !type.struct_def->fixed) {
        field.kind = Field::Kind::kTables;
        field.table = TableOf(*type.struct_def, seen, enum_seen, supported);
      } else if (type.base_type == flatbuffers::BASE_TYPE_VECTOR && type.element == flatbuffers::BASE_TYPE_STRING) {
        field.kind = Field::Kind::kStrings;
      } else if (IsIntegerType(type.base_type)) {
        field.kind = type.enum_def != nullptr ? Field::Kind::kEnum : Field::Kind::kScalar;
        if (type.enum_def != nullptr) field.enum_index = enum_of(*type.enum_def);
      } else {
        *supported = false;  // floats, vectors of scalars: not in the actions' schema
      }
      fields.push_back(std::move(field));
    }
    tables[static_cast<size_t>(index)].fields = std::move(fields);
    tables[static_cast<size_t>(index)].union_tables = std::move(union_tables);
    return index;
  }

  // The integer value of `e` for a field of type `base`, if it is a plain integer in range.
  static bool Integer(dom::element e, flatbuffers::BaseType base, uint64_t* bits) {
    if (base == flatbuffers::BASE_TYPE_BOOL) {
      bool b = false;
      if (e.get(b) != simdjson::SUCCESS) return false;
      *bits = b ? 1 : 0;
      return true;
    }
    if (e.type() == dom::element_type::INT64) {
      const int64_t v = e.get_int64().value_unsafe();
      if (!InRange(base, v)) return false;
      *bits = static_cast<uint64_t>(v);
      return true;
    }
    if (e.type() == dom::element_type::UINT64 && base == flatbuffers::BASE_TYPE_ULONG) {
      *bits = e.get_uint64().value_unsafe();
      return true;
    }
    return false;
  }

  bool DecodeTable(int index, dom::element element, flatbuffers::uoffset_t* out) {
    dom::object object;
    if (element.get(object) != simdjson::SUCCESS) return false;
    const Table& table = tables[static_cast<size_t>(index)];
    struct Value {
      const Field* field;
      uint64_t bits;  // a scalar's bits, or an offset
    };
    Value values[64];
    size_t count = 0;
    uint64_t seen = 0;
    int64_t union_type = -1;
    if (table.fields.size() > 64) return false;
    for (const dom::key_value_pair pair : object) {
      size_t k = 0;
      while (k < table.fields.size() && table.fields[k].name != pair.key) ++k;
      if (k == table.fields.size() || (seen >> k & 1) != 0) return false;  // unknown or repeated
      seen |= uint64_t{1} << k;
      const Field& field = table.fields[k];
      uint64_t bits = 0;
      switch (field.kind) {
        case Field::Kind::kScalar:
          if (!Integer(pair.value, field.base, &bits)) return false;
          break;
        case Field::Kind::kEnum:
        case Field::Kind::kUnionType: {
          std::string_view name;
          if (pair.value.get(name) != simdjson::SUCCESS) return false;
          const int64_t* value = enums[static_cast<size_t>(field.enum_index)].Find(name);
          if (value == nullptr || !InRange(field.base, *value)) return false;
          if (field.kind == Field::Kind::kUnionType) {
            if (*value == 0) return false;  // NONE: the parser says what it makes of it
            union_type = *value;
          }
          bits = static_cast<uint64_t>(*value);
          break;
        }
        case Field::Kind::kString: {
          std::string_view text;
          if (pair.value.get(text) != simdjson::SUCCESS) return false;
          bits = builder->CreateString(text.data(), text.size()).o;
          break;
        }
        case Field::Kind::kTable: {
          flatbuffers::uoffset_t child = 0;
          if (!DecodeTable(field.table, pair.value, &child)) return false;
          bits = child;
          break;
        }
        case Field::Kind::kTables:
        case Field::Kind::kStrings: {
          dom::array array;
          if (pair.value.get(array) != simdjson::SUCCESS) return false;
          std::vector<flatbuffers::Offset<void>> items;
          items.reserve(array.size());
          for (const dom::element item : array) {
            if (field.kind == Field::Kind::kTables) {
              flatbuffers::uoffset_t child = 0;
              if (!DecodeTable(field.table, item, &child)) return false;
              items.emplace_back(child);
            } else {
              std::string_view text;
              if (item.get(text) != simdjson::SUCCESS) return false;
              items.emplace_back(builder->CreateString(text.data(), text.size()).o);
            }
          }
          bits = builder->CreateVector(items).o;
          break;
        }
        case Field::Kind::kUnion: {
          if (union_type < 0) return false;  // the value before its type: the parser's to read
          const auto& tables_of = table.union_tables;
          if (static_cast<uint64_t>(union_type) >= tables_of.size() || tables_of[static_cast<size_t>(union_type)] < 0) {
            return false;
          }
          flatbuffers::uoffset_t child = 0;
          if (!DecodeTable(tables_of[static_cast<size_t>(union_type)], pair.value, &child)) return false;
          bits = child;
          break;
        }
      }
      values[count++] = Value{&field, bits};
    }
    // A union's type without its value: the parser's to read.
    for (const Field& field : table.fields) {
      if (field.kind == Field::Kind::kUnion && (seen >> field.union_type & 1) != 0 &&
          (seen >> static_cast<size_t>(&field - table.fields.data()) & 1) == 0) {
        return false;
      }
    }
    const flatbuffers::uoffset_t start = builder->StartTable();
    for (size_t i = 0; i < count; ++i) {
      const Field& field = *values[i].field;
      if (field.kind == Field::Kind::kScalar || field.kind == Field::Kind::kEnum || field.kind == Field::Kind::kUnionType) {
        AddScalar(*builder, field.slot, field.base, values[i].bits);
      } else {
        builder->AddOffset(field.slot, flatbuffers::Offset<void>(static_cast<flatbuffers::uoffset_t>(values[i].bits)));
      }
    }
    *out = builder->EndTable(start);
    return true;
  }
};

JsonDecoder::JsonDecoder(const flatbuffers::Parser& schema) : impl_(std::make_unique<Impl>()) {
  bool supported = schema.root_struct_def_ != nullptr;
  std::map<const flatbuffers::StructDef*, int> seen;
  std::map<const flatbuffers::EnumDef*, int> enum_seen;
  if (supported) impl_->root = impl_->TableOf(*schema.root_struct_def_, seen, enum_seen, &supported);
  if (!supported) impl_->root = -1;  // every line goes to the parser
  impl_->identifier = schema.file_identifier_;
}

JsonDecoder::~JsonDecoder() = default;

bool JsonDecoder::Decode(std::string_view json, flatbuffers::FlatBufferBuilder* builder) {
  builder->Clear();
  if (impl_->root < 0) return false;
  impl_->padded.resize(json.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(impl_->padded.data(), json.data(), json.size());
  dom::element document;
  if (impl_->parser.parse(impl_->padded.data(), json.size(), /*realloc_if_needed=*/false).get(document) !=
      simdjson::SUCCESS) {
    return false;
  }
  builder->ForceDefaults(true);
  impl_->builder = builder;
  flatbuffers::uoffset_t root = 0;
  if (!impl_->DecodeTable(impl_->root, document, &root)) return false;
  builder->Finish(flatbuffers::Offset<void>(root), impl_->identifier.empty() ? nullptr : impl_->identifier.c_str());
  return true;
}

}  // namespace kezek::events
