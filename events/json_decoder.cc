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
  uint64_t default_bits = 0;  // a scalar's, an enum's or a union type's default value
  size_t size = 0;            // in the table: a scalar's width, 4 for an offset
  bool required = false;
};

struct Table {
  std::vector<Field> fields;
  std::vector<int> union_tables;  // for a table holding a union: the table of each type value (-1: none)
  // The order flatc's generated Create function adds the fields in, which the object API's Pack
  // (the canonical form) follows: by size, widest first, and within a size in reverse order of
  // declaration (or all in reverse, for a table declared `original_order`).
  std::vector<size_t> add_order;
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

// Writes a scalar of the field's type (the builder leaves out a value equal to the default, as
// the canonical form does).
void AddScalar(flatbuffers::FlatBufferBuilder& b, flatbuffers::voffset_t slot, flatbuffers::BaseType base, uint64_t bits,
               uint64_t default_bits) {
  if (base == flatbuffers::BASE_TYPE_BOOL || base == flatbuffers::BASE_TYPE_UTYPE || base == flatbuffers::BASE_TYPE_UCHAR) {
    b.AddElement<uint8_t>(slot, static_cast<uint8_t>(bits), static_cast<uint8_t>(default_bits));
  } else if (base == flatbuffers::BASE_TYPE_CHAR) {
    b.AddElement<int8_t>(slot, static_cast<int8_t>(bits), static_cast<int8_t>(default_bits));
  } else if (base == flatbuffers::BASE_TYPE_SHORT) {
    b.AddElement<int16_t>(slot, static_cast<int16_t>(bits), static_cast<int16_t>(default_bits));
  } else if (base == flatbuffers::BASE_TYPE_USHORT) {
    b.AddElement<uint16_t>(slot, static_cast<uint16_t>(bits), static_cast<uint16_t>(default_bits));
  } else if (base == flatbuffers::BASE_TYPE_INT) {
    b.AddElement<int32_t>(slot, static_cast<int32_t>(bits), static_cast<int32_t>(default_bits));
  } else if (base == flatbuffers::BASE_TYPE_UINT) {
    b.AddElement<uint32_t>(slot, static_cast<uint32_t>(bits), static_cast<uint32_t>(default_bits));
  } else if (base == flatbuffers::BASE_TYPE_LONG) {
    b.AddElement<int64_t>(slot, static_cast<int64_t>(bits), static_cast<int64_t>(default_bits));
  } else if (base == flatbuffers::BASE_TYPE_ULONG) {
    b.AddElement<uint64_t>(slot, bits, default_bits);
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
      field.size = flatbuffers::SizeOf(type.base_type);
      field.required = f->IsRequired();
      if (flatbuffers::IsScalar(type.base_type) && f->IsOptional()) *supported = false;  // `= null`: not in the actions' schema  // optional scalars: not in the actions' schema
      if (IsIntegerType(type.base_type)) {
        int64_t constant = 0;
        if (!flatbuffers::StringToNumber(f->value.constant.c_str(), &constant)) *supported = false;
        field.default_bits = static_cast<uint64_t>(constant);
      }
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
    if (fields.size() > 64) *supported = false;
    std::vector<size_t> add_order;
    for (size_t size = def.sortbysize ? sizeof(flatbuffers::largest_scalar_t) : 1; size > 0; size /= 2) {
      for (size_t k = fields.size(); k-- > 0;) {
        if (!def.sortbysize || fields[k].size == size) add_order.push_back(k);
      }
    }
    if (add_order.size() != fields.size()) *supported = false;
    tables[static_cast<size_t>(index)].fields = std::move(fields);
    tables[static_cast<size_t>(index)].union_tables = std::move(union_tables);
    tables[static_cast<size_t>(index)].add_order = std::move(add_order);
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

  // Builds one table in the canonical form, the bytes the object API's Pack writes: first the
  // keys are read and checked, then the table's strings, vectors and subtables are built in the
  // order of declaration (empty strings and vectors left out, as Pack does), then the table's
  // fields are added in Create's order, defaults left out.
  bool DecodeTable(int index, dom::element element, flatbuffers::uoffset_t* out) {
    dom::object object;
    if (element.get(object) != simdjson::SUCCESS) return false;
    const Table& table = tables[static_cast<size_t>(index)];
    dom::element elements[64];
    uint64_t bits[64];  // a scalar's bits, then an offset's
    uint64_t seen = 0;
    for (const dom::key_value_pair pair : object) {
      size_t k = 0;
      while (k < table.fields.size() && table.fields[k].name != pair.key) ++k;
      if (k == table.fields.size() || (seen >> k & 1) != 0) return false;  // unknown or repeated
      seen |= uint64_t{1} << k;
      const Field& field = table.fields[k];
      elements[k] = pair.value;
      bits[k] = 0;
      switch (field.kind) {
        case Field::Kind::kScalar:
          if (!Integer(pair.value, field.base, &bits[k])) return false;
          break;
        case Field::Kind::kEnum:
        case Field::Kind::kUnionType: {
          std::string_view name;
          if (pair.value.get(name) != simdjson::SUCCESS) return false;
          const int64_t* value = enums[static_cast<size_t>(field.enum_index)].Find(name);
          if (value == nullptr || !InRange(field.base, *value)) return false;
          if (field.kind == Field::Kind::kUnionType && *value == 0) return false;  // NONE: the parser's to read
          bits[k] = static_cast<uint64_t>(*value);
          break;
        }
        case Field::Kind::kString:
          if (!pair.value.is_string()) return false;
          break;
        case Field::Kind::kTable:
          if (!pair.value.is_object()) return false;
          break;
        case Field::Kind::kTables:
        case Field::Kind::kStrings:
          if (!pair.value.is_array()) return false;
          break;
        case Field::Kind::kUnion: {
          // The value before its type: the parser's to read.
          if ((seen >> field.union_type & 1) == 0) return false;
          const uint64_t type = bits[static_cast<size_t>(field.union_type)];
          if (type >= table.union_tables.size() || table.union_tables[type] < 0) return false;
          break;
        }
      }
    }
    for (size_t k = 0; k < table.fields.size(); ++k) {
      const Field& field = table.fields[k];
      // A union's type without its value: the parser's to read.
      if (field.kind == Field::Kind::kUnion && (seen >> field.union_type & 1) != 0 && (seen >> k & 1) == 0) return false;
      if ((seen >> k & 1) == 0) continue;
      switch (field.kind) {
        case Field::Kind::kScalar:
        case Field::Kind::kEnum:
        case Field::Kind::kUnionType:
          break;
        case Field::Kind::kString: {
          const std::string_view text = elements[k].get_string().value_unsafe();
          bits[k] = text.empty() && !field.required ? 0 : builder->CreateString(text.data(), text.size()).o;
          break;
        }
        case Field::Kind::kTable: {
          flatbuffers::uoffset_t child = 0;
          if (!DecodeTable(field.table, elements[k], &child)) return false;
          bits[k] = child;
          break;
        }
        case Field::Kind::kTables:
        case Field::Kind::kStrings: {
          const dom::array array = elements[k].get_array().value_unsafe();
          if (array.size() == 0 && !field.required) break;
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
          bits[k] = builder->CreateVector(items).o;
          break;
        }
        case Field::Kind::kUnion: {
          const uint64_t type = bits[static_cast<size_t>(field.union_type)];
          flatbuffers::uoffset_t child = 0;
          if (!DecodeTable(table.union_tables[type], elements[k], &child)) return false;
          bits[k] = child;
          break;
        }
      }
    }
    const flatbuffers::uoffset_t start = builder->StartTable();
    for (const size_t k : table.add_order) {
      if ((seen >> k & 1) == 0) continue;
      const Field& field = table.fields[k];
      if (field.kind == Field::Kind::kScalar || field.kind == Field::Kind::kEnum || field.kind == Field::Kind::kUnionType) {
        AddScalar(*builder, field.slot, field.base, bits[k], field.default_bits);
      } else {
        builder->AddOffset(field.slot, flatbuffers::Offset<void>(static_cast<flatbuffers::uoffset_t>(bits[k])));
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
  builder->ForceDefaults(false);
  impl_->builder = builder;
  flatbuffers::uoffset_t root = 0;
  if (!impl_->DecodeTable(impl_->root, document, &root)) return false;
  builder->Finish(flatbuffers::Offset<void>(root), impl_->identifier.empty() ? nullptr : impl_->identifier.c_str());
  return true;
}

}  // namespace kezek::events
