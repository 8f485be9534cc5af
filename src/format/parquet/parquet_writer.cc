// ParquetWriter: shredding rows into columns, pages, row groups and the footer.
#include "format/parquet/parquet_writer.h"

#include <snappy.h>

#include <cstring>
#include <unordered_map>

#include "format/compression.h"
#include "format/parquet/thrift_compact.h"

namespace hydrant::format::parquet {
namespace {

using T = ThriftCompactWriter;

constexpr int kPlain = 0, kPlainDictionary = 2, kRle = 3, kRleDictionary = 8;
constexpr int kDataPage = 0, kDictionaryPage = 2, kDataPageV2 = 3;

int BitWidth(uint32_t max) {
  int width = 0;
  while (max >> width) ++width;
  return width;
}

void PutU32(uint32_t v, std::string* out) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16), static_cast<char>(v >> 24)};
  out->append(b, 4);
}

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    *out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  *out += static_cast<char>(v);
}

// The RLE / bit-packed hybrid: runs of 8 or more equal values as RLE runs, the rest bit-packed
// in groups of 8 (the last group padded with zeros; readers stop at the page's value count).
template <typename V>
void EncodeHybrid(const std::vector<V>& v, int width, std::string* out) {
  const size_t n = v.size();
  const int value_bytes = (width + 7) / 8;
  auto run_at = [&](size_t i) {
    size_t r = 1;
    while (i + r < n && v[i + r] == v[i]) ++r;
    return r;
  };
  size_t i = 0;
  while (i < n) {
    if (const size_t run = run_at(i); run >= 8) {
      PutVarint(run << 1, out);
      for (int b = 0; b < value_bytes; ++b) *out += static_cast<char>(static_cast<uint64_t>(v[i]) >> (8 * b));
      i += run;
      continue;
    }
    const size_t start = i;
    size_t groups = 0;
    do {
      i = std::min(i + 8, n);
      ++groups;
    } while (i < n && run_at(i) < 8);
    PutVarint((groups << 1) | 1, out);
    uint64_t acc = 0;
    int bits = 0;
    for (size_t k = start; k < start + groups * 8; ++k) {
      acc |= static_cast<uint64_t>(k < n ? v[k] : 0) << bits;
      bits += width;
      while (bits >= 8) {
        *out += static_cast<char>(acc);
        acc >>= 8;
        bits -= 8;
      }
    }
  }
}

Result<std::string> Compress(Codec codec, std::string_view data) {
  switch (codec) {
    case Codec::kUncompressed: return std::string(data);
    case Codec::kSnappy: {
      std::string out;
      snappy::Compress(data.data(), data.size(), &out);
      return out;
    }
    case Codec::kGzip: return format::Compress("GZIP", data, "");
  }
  return Status::Internal("unknown codec");
}

struct Info {
  const Node* node = nullptr;
  size_t first_leaf = 0, leaves = 0;
  int def = 0, rep = 0;  // the levels of this node when it is present
  std::vector<Info> children;
};

struct Column {
  const Node* node = nullptr;
  std::vector<std::string> path;
  int max_def = 0, max_rep = 0;
  // The page being filled.
  std::vector<uint16_t> defs, reps;
  std::string values;           // PLAIN values
  std::vector<bool> booleans;   // BOOLEAN values (bit-packed when the page is written)
  std::vector<uint32_t> indices;  // dictionary indices
  uint64_t page_values = 0, page_nulls = 0, page_rows = 0;
  bool dictionary_page = false;  // the page being filled uses the dictionary
  // The dictionary of the column chunk.
  bool use_dictionary = false;
  std::unordered_map<std::string, uint32_t> dictionary_index;
  std::string dictionary_values;
  uint32_t dictionary_size = 0;
  // The column chunk's written pages.
  std::string pages;
  uint64_t chunk_values = 0, chunk_uncompressed = 0;
  bool used_plain = false, used_dictionary = false;

  uint64_t PageBytes() const {
    return values.size() + booleans.size() / 8 + indices.size() * 2 + (defs.size() + reps.size()) / 4;
  }
};

struct Mark {
  size_t defs, reps, values, booleans, indices;
  uint64_t page_values, page_nulls;
};

}  // namespace

struct ParquetWriter::State {
  std::vector<Node> columns;
  WriterOptions options;
  Info root;
  std::vector<Column> leaves;
  std::string out = "PAR1";
  struct ChunkMeta {
    int64_t offset, dictionary_offset, data_offset, values, compressed, uncompressed;
    bool plain, dictionary;
  };
  struct RowGroupMeta {
    std::vector<ChunkMeta> chunks;
    int64_t rows, bytes;
  };
  std::vector<RowGroupMeta> row_groups;
  uint64_t rows = 0, group_rows = 0;

  void Build(Info* info, const Node* node, int def, int rep, std::vector<std::string> path) {
    info->node = node;
    info->def = def + (node->repetition != Repetition::kRequired ? 1 : 0);
    info->rep = rep + (node->repetition == Repetition::kRepeated ? 1 : 0);
    info->first_leaf = leaves.size();
    path.push_back(node->name);
    if (!node->group) {
      Column c;
      c.node = node;
      c.path = path;
      c.max_def = info->def;
      c.max_rep = info->rep;
      c.use_dictionary = options.dictionary && node->physical != Physical::kBoolean;
      leaves.push_back(std::move(c));
    }
    for (const Node& child : node->children) {
      info->children.emplace_back();
      Build(&info->children.back(), &child, info->def, info->rep, path);
    }
    info->leaves = leaves.size() - info->first_leaf;
  }

  void Nulls(const Info& in, int r, int d) {
    for (size_t i = in.first_leaf; i < in.first_leaf + in.leaves; ++i) {
      Column& c = leaves[i];
      c.reps.push_back(r);
      c.defs.push_back(d);
      ++c.page_values;
      ++c.page_nulls;
    }
  }

  Status Emit(Column& c, const Value& v, int r, int d) {
    const Node& n = *c.node;
    std::string plain;
    switch (n.physical) {
      case Physical::kBoolean:
        if (v.kind != Value::Kind::kBool) return Mismatch(n, "a boolean");
        break;
      case Physical::kInt32: {
        if (v.kind != Value::Kind::kInt || v.integer < INT32_MIN || v.integer > INT32_MAX) return Mismatch(n, "an int32");
        const int32_t x = static_cast<int32_t>(v.integer);
        plain.assign(reinterpret_cast<const char*>(&x), 4);
        break;
      }
      case Physical::kInt64:
        if (v.kind != Value::Kind::kInt) return Mismatch(n, "an int64");
        plain.assign(reinterpret_cast<const char*>(&v.integer), 8);
        break;
      case Physical::kFloat: {
        if (v.kind != Value::Kind::kFloat && v.kind != Value::Kind::kDouble) return Mismatch(n, "a float");
        const float x = static_cast<float>(v.real);
        plain.assign(reinterpret_cast<const char*>(&x), 4);
        break;
      }
      case Physical::kDouble:
        if (v.kind != Value::Kind::kFloat && v.kind != Value::Kind::kDouble) return Mismatch(n, "a double");
        plain.assign(reinterpret_cast<const char*>(&v.real), 8);
        break;
      case Physical::kInt96:
        if (v.kind != Value::Kind::kBytes || v.bytes.size() != 12) return Mismatch(n, "12 bytes of INT96");
        plain = v.bytes;
        break;
      case Physical::kFixedLenByteArray:
        if (v.kind != Value::Kind::kBytes || v.bytes.size() != static_cast<size_t>(n.type_length)) {
          return Mismatch(n, std::to_string(n.type_length) + " bytes");
        }
        plain = v.bytes;
        break;
      case Physical::kByteArray:
        if (v.kind != Value::Kind::kBytes) return Mismatch(n, "bytes");
        PutU32(static_cast<uint32_t>(v.bytes.size()), &plain);
        plain += v.bytes;
        break;
    }
    c.reps.push_back(r);
    c.defs.push_back(d);
    ++c.page_values;
    if (n.physical == Physical::kBoolean) {
      c.booleans.push_back(v.boolean);
    } else if (c.use_dictionary && (c.dictionary_page || c.page_values == 1 + c.page_nulls)) {
      c.dictionary_page = true;
      auto [it, added] = c.dictionary_index.try_emplace(plain, c.dictionary_size);
      if (added) {
        ++c.dictionary_size;
        c.dictionary_values += plain;
      }
      c.indices.push_back(it->second);
    } else {
      c.values += plain;
    }
    return Status::Ok();
  }

  static Status Mismatch(const Node& n, const std::string& expected) {
    return Status::InvalidArgument("column " + n.name + " takes " + expected);
  }

  Status Shred(const Info& in, const Value& v, int r, int d) {
    const Node& n = *in.node;
    if (v.kind == Value::Kind::kNull) {
      if (n.repetition == Repetition::kRequired) return Status::InvalidArgument("column " + n.name + " cannot be null");
      Nulls(in, r, d);
      return Status::Ok();
    }
    const int here = in.def;
    if (!n.group) return Emit(leaves[in.first_leaf], v, r, here);
    if (n.converted == Converted::kList || n.converted == Converted::kMap) {
      if (v.kind != Value::Kind::kList) return Mismatch(n, "a list");
      const Info& repeated = in.children[0];
      if (v.items.empty()) {
        Nulls(repeated, r, here);
        return Status::Ok();
      }
      for (size_t i = 0; i < v.items.size(); ++i) {
        const int ri = i == 0 ? r : repeated.rep;
        const Value& item = v.items[i];
        if (n.converted == Converted::kList) {
          HYDRANT_RETURN_IF_ERROR(Shred(repeated.children[0], item, ri, repeated.def));
        } else {
          if (item.kind != Value::Kind::kStruct || item.items.size() != 2) return Mismatch(n, "key and value entries");
          HYDRANT_RETURN_IF_ERROR(Shred(repeated.children[0], item.items[0], ri, repeated.def));
          HYDRANT_RETURN_IF_ERROR(Shred(repeated.children[1], item.items[1], ri, repeated.def));
        }
      }
      return Status::Ok();
    }
    if (v.kind != Value::Kind::kStruct || v.items.size() != n.children.size()) {
      return Mismatch(n, "a struct of " + std::to_string(n.children.size()) + " fields");
    }
    for (size_t i = 0; i < n.children.size(); ++i) HYDRANT_RETURN_IF_ERROR(Shred(in.children[i], v.items[i], r, here));
    return Status::Ok();
  }

  Status FlushPage(Column& c) {
    if (c.page_values == 0) return Status::Ok();
    std::string reps, defs;
    if (c.max_rep > 0) EncodeHybrid(c.reps, BitWidth(c.max_rep), &reps);
    if (c.max_def > 0) EncodeHybrid(c.defs, BitWidth(c.max_def), &defs);
    std::string values;
    int encoding = kPlain;
    if (c.dictionary_page) {
      const int width = std::max(1, BitWidth(c.dictionary_size > 0 ? c.dictionary_size - 1 : 0));
      values += static_cast<char>(width);
      EncodeHybrid(c.indices, width, &values);
      encoding = options.page_v2 ? kRleDictionary : kPlainDictionary;
      c.used_dictionary = true;
    } else if (c.node->physical == Physical::kBoolean) {
      values.assign((c.booleans.size() + 7) / 8, '\0');
      for (size_t i = 0; i < c.booleans.size(); ++i) {
        if (c.booleans[i]) values[i / 8] |= static_cast<char>(1 << (i % 8));
      }
      c.used_plain = true;
    } else {
      values = std::move(c.values);
      c.used_plain = true;
    }
    T header;
    std::string body;
    int64_t uncompressed = 0;
    if (options.page_v2) {
      auto compressed = Compress(options.codec, values);
      if (!compressed.ok()) return compressed.status();
      uncompressed = static_cast<int64_t>(reps.size() + defs.size() + values.size());
      body = reps + defs + *compressed;
      header.I32(1, kDataPageV2);
      header.I32(2, static_cast<int32_t>(uncompressed));
      header.I32(3, static_cast<int32_t>(body.size()));
      header.BeginStruct(8);
      header.I32(1, static_cast<int32_t>(c.page_values));
      header.I32(2, static_cast<int32_t>(c.page_nulls));
      header.I32(3, static_cast<int32_t>(c.page_rows));
      header.I32(4, encoding);
      header.I32(5, static_cast<int32_t>(defs.size()));
      header.I32(6, static_cast<int32_t>(reps.size()));
      header.Bool(7, true);
      header.EndStruct();
    } else {
      std::string raw;
      if (c.max_rep > 0) PutU32(static_cast<uint32_t>(reps.size()), &raw), raw += reps;
      if (c.max_def > 0) PutU32(static_cast<uint32_t>(defs.size()), &raw), raw += defs;
      raw += values;
      auto compressed = Compress(options.codec, raw);
      if (!compressed.ok()) return compressed.status();
      uncompressed = static_cast<int64_t>(raw.size());
      body = std::move(*compressed);
      header.I32(1, kDataPage);
      header.I32(2, static_cast<int32_t>(uncompressed));
      header.I32(3, static_cast<int32_t>(body.size()));
      header.BeginStruct(5);
      header.I32(1, static_cast<int32_t>(c.page_values));
      header.I32(2, encoding);
      header.I32(3, kRle);
      header.I32(4, kRle);
      header.EndStruct();
    }
    const std::string head = header.Finish();
    c.pages += head;
    c.pages += body;
    c.chunk_uncompressed += head.size() + uncompressed;
    c.chunk_values += c.page_values;
    c.defs.clear(), c.reps.clear(), c.values.clear(), c.booleans.clear(), c.indices.clear();
    c.page_values = c.page_nulls = c.page_rows = 0;
    // A dictionary that outgrew a page: the rest of the chunk is PLAIN, as other writers do.
    c.dictionary_page = false;
    if (c.use_dictionary && c.dictionary_values.size() > options.page_bytes) c.use_dictionary = false;
    return Status::Ok();
  }

  Status FlushRowGroup() {
    if (group_rows == 0) return Status::Ok();
    RowGroupMeta group{{}, static_cast<int64_t>(group_rows), 0};
    for (Column& c : leaves) {
      HYDRANT_RETURN_IF_ERROR(FlushPage(c));
      ChunkMeta meta{static_cast<int64_t>(out.size()), -1, 0, static_cast<int64_t>(c.chunk_values), 0,
                     static_cast<int64_t>(c.chunk_uncompressed), c.used_plain, c.used_dictionary};
      if (c.used_dictionary) {
        auto compressed = Compress(options.codec, c.dictionary_values);
        if (!compressed.ok()) return compressed.status();
        T header;
        header.I32(1, kDictionaryPage);
        header.I32(2, static_cast<int32_t>(c.dictionary_values.size()));
        header.I32(3, static_cast<int32_t>(compressed->size()));
        header.BeginStruct(7);
        header.I32(1, static_cast<int32_t>(c.dictionary_size));
        header.I32(2, options.page_v2 ? kPlain : kPlainDictionary);
        header.EndStruct();
        const std::string head = header.Finish();
        meta.dictionary_offset = static_cast<int64_t>(out.size());
        out += head;
        out += *compressed;
        meta.uncompressed += static_cast<int64_t>(head.size() + c.dictionary_values.size());
      }
      meta.data_offset = static_cast<int64_t>(out.size());
      out += c.pages;
      meta.compressed = static_cast<int64_t>(out.size()) - meta.offset;
      group.bytes += meta.uncompressed;
      group.chunks.push_back(meta);
      c.pages.clear();
      c.chunk_values = c.chunk_uncompressed = 0;
      c.used_plain = c.used_dictionary = false;
      c.dictionary_index.clear();
      c.dictionary_values.clear();
      c.dictionary_size = 0;
      c.use_dictionary = options.dictionary && c.node->physical != Physical::kBoolean;
    }
    row_groups.push_back(std::move(group));
    group_rows = 0;
    return Status::Ok();
  }

  void SchemaElements(const Node& n, T* t) {
    t->BeginElement();
    if (!n.group) t->I32(1, static_cast<int32_t>(n.physical));
    if (n.physical == Physical::kFixedLenByteArray && !n.group) t->I32(2, n.type_length);
    t->I32(3, static_cast<int32_t>(n.repetition));
    t->Binary(4, n.name);
    if (n.group) t->I32(5, static_cast<int32_t>(n.children.size()));
    if (n.converted != Converted::kNone) t->I32(6, static_cast<int32_t>(n.converted));
    if (n.converted == Converted::kDecimal) t->I32(7, n.scale), t->I32(8, n.precision);
    t->EndStruct();
    for (const Node& child : n.children) SchemaElements(child, t);
  }

  size_t CountNodes(const Node& n) const {
    size_t count = 1;
    for (const Node& child : n.children) count += CountNodes(child);
    return count;
  }

  std::string Footer() {
    T t;
    t.I32(1, 1);
    size_t count = 1;
    for (const Node& c : columns) count += CountNodes(c);
    t.List(2, T::kStruct, count);
    t.BeginElement();
    t.Binary(4, "hive_schema");
    t.I32(5, static_cast<int32_t>(columns.size()));
    t.EndStruct();
    for (const Node& c : columns) SchemaElements(c, &t);
    t.I64(3, static_cast<int64_t>(rows));
    t.List(4, T::kStruct, row_groups.size());
    for (const RowGroupMeta& group : row_groups) {
      t.BeginElement();
      t.List(1, T::kStruct, group.chunks.size());
      for (size_t i = 0; i < group.chunks.size(); ++i) {
        const ChunkMeta& m = group.chunks[i];
        const Column& c = leaves[i];
        t.BeginElement();
        t.I64(2, m.offset);
        t.BeginStruct(3);
        t.I32(1, static_cast<int32_t>(c.node->physical));
        std::vector<int> encodings = {kRle};
        if (m.plain) encodings.push_back(kPlain);
        if (m.dictionary) encodings.push_back(options.page_v2 ? kRleDictionary : kPlainDictionary);
        if (m.dictionary && options.page_v2) encodings.push_back(kPlain);
        t.List(2, T::kI32, encodings.size());
        for (int e : encodings) t.ListI32(e);
        t.List(3, T::kBinary, c.path.size());
        for (const std::string& p : c.path) t.ListBinary(p);
        t.I32(4, static_cast<int32_t>(options.codec));
        t.I64(5, m.values);
        t.I64(6, m.uncompressed);
        t.I64(7, m.compressed);
        t.I64(9, m.data_offset);
        if (m.dictionary_offset >= 0) t.I64(11, m.dictionary_offset);
        t.EndStruct();
        t.EndStruct();
      }
      t.I64(2, group.bytes);
      t.I64(3, group.rows);
      t.EndStruct();
    }
    t.Binary(6, options.created_by);
    return t.Finish();
  }
};

ParquetWriter::ParquetWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
ParquetWriter::~ParquetWriter() = default;

Result<std::unique_ptr<ParquetWriter>> ParquetWriter::Create(std::vector<Node> columns, WriterOptions options) {
  auto state = std::make_unique<State>();
  state->columns = std::move(columns);
  state->options = std::move(options);
  if (state->columns.empty()) return Status::InvalidArgument("a Parquet file needs at least one column");
  state->root.first_leaf = 0;
  for (const Node& c : state->columns) {
    state->root.children.emplace_back();
    state->Build(&state->root.children.back(), &c, 0, 0, {});
  }
  return std::unique_ptr<ParquetWriter>(new ParquetWriter(std::move(state)));
}

Status ParquetWriter::Append(const Value& row) {
  State& s = *state_;
  if (row.kind != Value::Kind::kStruct || row.items.size() != s.columns.size()) {
    return Status::InvalidArgument("a row has one value per column");
  }
  std::vector<Mark> marks;
  marks.reserve(s.leaves.size());
  for (const Column& c : s.leaves) {
    marks.push_back({c.defs.size(), c.reps.size(), c.values.size(), c.booleans.size(), c.indices.size(), c.page_values,
                     c.page_nulls});
  }
  for (size_t i = 0; i < s.columns.size(); ++i) {
    if (Status shredded = s.Shred(s.root.children[i], row.items[i], 0, 0); !shredded.ok()) {
      // The row is taken back whole (values added to a dictionary stay there, unused).
      for (size_t k = 0; k < s.leaves.size(); ++k) {
        Column& c = s.leaves[k];
        c.defs.resize(marks[k].defs), c.reps.resize(marks[k].reps), c.values.resize(marks[k].values);
        c.booleans.resize(marks[k].booleans), c.indices.resize(marks[k].indices);
        c.page_values = marks[k].page_values, c.page_nulls = marks[k].page_nulls;
        if (c.indices.empty()) c.dictionary_page = false;
      }
      return shredded;
    }
  }
  ++s.rows, ++s.group_rows;
  uint64_t buffered = 0;
  for (Column& c : s.leaves) {
    ++c.page_rows;
    if (c.PageBytes() >= s.options.page_bytes) HYDRANT_RETURN_IF_ERROR(s.FlushPage(c));
    buffered += c.pages.size() + c.PageBytes() + c.dictionary_values.size();
  }
  if (buffered >= s.options.row_group_bytes) HYDRANT_RETURN_IF_ERROR(s.FlushRowGroup());
  return Status::Ok();
}

uint64_t ParquetWriter::rows() const { return state_->rows; }

Result<std::string> ParquetWriter::Finish() {
  State& s = *state_;
  HYDRANT_RETURN_IF_ERROR(s.FlushRowGroup());
  const std::string footer = s.Footer();
  s.out += footer;
  PutU32(static_cast<uint32_t>(footer.size()), &s.out);
  s.out += "PAR1";
  return std::move(s.out);
}

}  // namespace hydrant::format::parquet
