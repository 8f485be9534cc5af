// HiveType: a recursive-descent parser over Hive's type grammar.
#include "schema/hive_type.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace hydrant::schema {
namespace {

using Kind = HiveType::Kind;

constexpr std::array<std::pair<std::string_view, Kind>, 18> kNames = {{
    {"string", Kind::kString}, {"char", Kind::kChar}, {"varchar", Kind::kVarchar}, {"tinyint", Kind::kTinyint},
    {"smallint", Kind::kSmallint}, {"int", Kind::kInt}, {"integer", Kind::kInt}, {"bigint", Kind::kBigint},
    {"float", Kind::kFloat}, {"double", Kind::kDouble}, {"decimal", Kind::kDecimal}, {"boolean", Kind::kBoolean},
    {"date", Kind::kDate}, {"timestamp", Kind::kTimestamp}, {"binary", Kind::kBinary}, {"array", Kind::kArray},
    {"map", Kind::kMap}, {"struct", Kind::kStruct},
}};

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<HiveType> Parse() {
    auto type = Type(0);
    if (!type.ok()) return type.status();
    Skip();
    if (at_ != text_.size()) return Error("unexpected '" + std::string(1, text_[at_]) + "'");
    return type;
  }

 private:
  Status Error(std::string what) const {
    return Status::InvalidArgument("column type '" + std::string(text_) + "': " + what + " at position " +
                                   std::to_string(at_));
  }
  void Skip() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
  }
  bool Take(char c) {
    Skip();
    if (at_ < text_.size() && text_[at_] == c) return ++at_, true;
    return false;
  }
  std::string Word() {
    Skip();
    const size_t start = at_;
    while (at_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[at_])) || text_[at_] == '_')) ++at_;
    std::string word(text_.substr(start, at_ - start));
    std::transform(word.begin(), word.end(), word.begin(), [](unsigned char c) { return std::tolower(c); });
    return word;
  }
  Result<int32_t> Number() {
    Skip();
    const size_t start = at_;
    while (at_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[at_]))) ++at_;
    if (at_ == start || at_ - start > 9) return Error("a number is expected");
    return std::stoi(std::string(text_.substr(start, at_ - start)));
  }

  Result<HiveType> Type(int depth) {
    if (depth > 100) return Error("types nest too deep");
    const std::string word = Word();
    auto known = std::find_if(kNames.begin(), kNames.end(), [&](const auto& n) { return n.first == word; });
    if (known == kNames.end()) return Error(word.empty() ? "a type is expected" : "unknown type '" + word + "'");
    HiveType t;
    t.kind = known->second;
    switch (t.kind) {
      case Kind::kChar:
      case Kind::kVarchar: {
        if (!Take('(')) return Error(word + " needs a length");
        auto n = Number();
        if (!n.ok()) return n.status();
        const int32_t max = t.kind == Kind::kChar ? 255 : 65535;
        if (*n < 1 || *n > max) return Error(word + " length must be 1 to " + std::to_string(max));
        t.length = *n;
        if (!Take(')')) return Error("')' expected");
        break;
      }
      case Kind::kDecimal: {
        t.precision = 10;
        if (Take('(')) {
          auto p = Number();
          if (!p.ok()) return p.status();
          t.precision = *p;
          if (Take(',')) {
            auto s = Number();
            if (!s.ok()) return s.status();
            t.scale = *s;
          }
          if (!Take(')')) return Error("')' expected");
        }
        if (t.precision < 1 || t.precision > 38 || t.scale > t.precision) {
          return Error("decimal precision must be 1 to 38 and scale 0 to the precision");
        }
        break;
      }
      case Kind::kArray:
      case Kind::kMap: {
        if (!Take('<')) return Error("'<' expected");
        for (int i = 0; i < (t.kind == Kind::kMap ? 2 : 1); ++i) {
          if (i == 1 && !Take(',')) return Error("',' expected");
          auto inner = Type(depth + 1);
          if (!inner.ok()) return inner.status();
          t.fields.push_back({"", std::move(*inner)});
        }
        if (t.kind == Kind::kMap && !t.fields[0].type.primitive()) return Error("map keys must be primitive");
        if (!Take('>')) return Error("'>' expected");
        break;
      }
      case Kind::kStruct: {
        if (!Take('<')) return Error("'<' expected");
        do {
          Skip();
          const size_t start = at_;
          while (at_ < text_.size() && text_[at_] != ':' && text_[at_] != ',' && text_[at_] != '>') ++at_;
          std::string name(text_.substr(start, at_ - start));
          while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) name.pop_back();
          if (name.empty() || !Take(':')) return Error("struct fields are name:type");
          auto inner = Type(depth + 1);
          if (!inner.ok()) return inner.status();
          t.fields.push_back({std::move(name), std::move(*inner)});
        } while (Take(','));
        if (!Take('>')) return Error("'>' expected");
        break;
      }
      default: break;
    }
    return t;
  }

  std::string_view text_;
  size_t at_ = 0;
};

}  // namespace

Result<HiveType> ParseHiveType(std::string_view text) { return Parser(text).Parse(); }

std::string HiveType::ToString() const {
  auto name = std::find_if(kNames.begin(), kNames.end(), [&](const auto& n) { return n.second == kind; })->first;
  switch (kind) {
    case Kind::kChar:
    case Kind::kVarchar: return std::string(name) + "(" + std::to_string(length) + ")";
    case Kind::kDecimal: return "decimal(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
    case Kind::kArray: return "array<" + fields[0].type.ToString() + ">";
    case Kind::kMap: return "map<" + fields[0].type.ToString() + "," + fields[1].type.ToString() + ">";
    case Kind::kStruct: {
      std::string out = "struct<";
      for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + fields[i].name + ":" + fields[i].type.ToString();
      return out + ">";
    }
    default: return std::string(name);
  }
}

}  // namespace hydrant::schema
