// ParquetConverter: JSON values to the rows of a Parquet file, column type by column type.
#include "conversion/parquet_converter.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

#include "format/json_text.h"

namespace hydrant::conversion {
namespace {

using format::parquet::Converted;
using format::parquet::Node;
using format::parquet::Physical;
using format::parquet::Repetition;
using format::parquet::Value;
using Kind = schema::HiveType::Kind;

// The fewest bytes holding every unscaled value of `precision` digits (two's complement).
int DecimalBytes(int precision) {
  static constexpr int kMaxDigits[] = {0, 2, 4, 6, 9, 11, 14, 16, 18, 21, 23, 26, 28, 31, 33, 35, 38};
  for (int n = 1; n <= 16; ++n) {
    if (precision <= kMaxDigits[n]) return n;
  }
  return 16;
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

Value Null() { return Value{}; }
Value IntValue(int64_t v) { return Value{.kind = Value::Kind::kInt, .integer = v}; }
Value BytesValue(std::string v) { return Value{.kind = Value::Kind::kBytes, .bytes = std::move(v)}; }

// INT96 as Hive writes timestamps: nanoseconds of the day (8 bytes LE), then the Julian day (4 bytes LE).
Value Int96(__int128 nanos_since_epoch) {
  constexpr int64_t kDayNanos = 86'400'000'000'000;
  int64_t day = static_cast<int64_t>(nanos_since_epoch / kDayNanos);
  __int128 rest = nanos_since_epoch % kDayNanos;
  if (rest < 0) rest += kDayNanos, --day;
  const int64_t nanos = static_cast<int64_t>(rest);
  const int32_t julian = static_cast<int32_t>(day + 2440588);
  std::string bytes(12, '\0');
  std::memcpy(bytes.data(), &nanos, 8);
  std::memcpy(bytes.data() + 8, &julian, 4);
  return BytesValue(std::move(bytes));
}

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  size_t i = s[0] == '-' || s[0] == '+' ? 1 : 0;
  if (i == s.size() || s.size() - i > 19) return false;
  __int128 v = 0;
  for (; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  if (s[0] == '-') v = -v;
  if (v > INT64_MAX || v < INT64_MIN) return false;
  *out = static_cast<int64_t>(v);
  return true;
}

// A decimal's unscaled value at `scale`, rounded half up; false when it is not a number or needs
// more than `precision` digits.
bool ParseDecimal(std::string_view s, int precision, int scale, __int128* out) {
  bool negative = false;
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
  std::string digits;
  int fraction_digits = 0;
  bool dot = false, any = false;
  for (; i < s.size() && s[i] != 'e' && s[i] != 'E'; ++i) {
    if (s[i] == '.' && !dot) {
      dot = true;
    } else if (std::isdigit(static_cast<unsigned char>(s[i]))) {
      digits += s[i], any = true;
      if (dot) ++fraction_digits;
    } else {
      return false;
    }
  }
  int exponent = 0;
  if (i < s.size()) {
    int64_t e;
    if (!ParseInt(s.substr(i + 1), &e) || e > 100 || e < -100) return false;
    exponent = static_cast<int>(e);
  }
  if (!any) return false;
  int shift = scale - fraction_digits + exponent;  // digits × 10^shift is the unscaled value
  bool round_up = false;
  if (shift < 0) {
    const size_t drop = static_cast<size_t>(-shift);
    if (drop > digits.size()) {
      round_up = false;
      digits = "0";
    } else {
      round_up = digits[digits.size() - drop] >= '5';
      digits.resize(digits.size() - drop);
      if (digits.empty()) digits = "0";
    }
    shift = 0;
  }
  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size() - 1));
  if (digits.size() + static_cast<size_t>(shift) > 38) return false;
  __int128 v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  for (int k = 0; k < shift; ++k) v *= 10;
  if (round_up) ++v;
  __int128 limit = 1;
  for (int k = 0; k < precision; ++k) limit *= 10;
  if (v >= limit) return false;
  *out = negative ? -v : v;
  return true;
}

Value DecimalValue(__int128 unscaled, int precision) {
  const int n = DecimalBytes(precision);
  std::string bytes(static_cast<size_t>(n), '\0');
  for (int k = n - 1; k >= 0; --k) {
    bytes[static_cast<size_t>(k)] = static_cast<char>(static_cast<uint8_t>(unscaled & 0xFF));
    unscaled >>= 8;  // arithmetic: negative values fill with ones
  }
  return BytesValue(std::move(bytes));
}

// Reads `width` digits at s[*i].
bool Digits(std::string_view s, size_t* i, int width, int* out) {
  if (*i + static_cast<size_t>(width) > s.size()) return false;
  int v = 0;
  for (int k = 0; k < width; ++k) {
    const char c = s[*i + static_cast<size_t>(k)];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + (c - '0');
  }
  *i += static_cast<size_t>(width);
  *out = v;
  return true;
}

// yyyy-MM-dd['T'| ]HH:mm[:ss[.fffffffff]][Z|±HH[:]MM]: ISO-8601 and java.sql.Timestamp's form.
bool ParseDateTime(std::string_view s, bool date_only, __int128* nanos, int64_t* days) {
  size_t i = 0;
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!Digits(s, &i, 4, &y) || i >= s.size() || s[i++] != '-' || !Digits(s, &i, 2, &mo) || i >= s.size() ||
      s[i++] != '-' || !Digits(s, &i, 2, &d)) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return false;
  *days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  if (date_only) return i == s.size();
  int64_t fraction = 0, offset_seconds = 0;
  if (i < s.size()) {
    if (s[i] != 'T' && s[i] != ' ') return false;
    ++i;
    if (!Digits(s, &i, 2, &h) || i >= s.size() || s[i++] != ':' || !Digits(s, &i, 2, &mi)) return false;
    if (i < s.size() && s[i] == ':') {
      ++i;
      if (!Digits(s, &i, 2, &sec)) return false;
      if (i < s.size() && s[i] == '.') {
        int n = 0;
        for (++i; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i, ++n) {
          if (n < 9) fraction = fraction * 10 + (s[i] - '0');
        }
        if (n == 0) return false;
        for (; n < 9; ++n) fraction *= 10;
      }
    }
    if (i < s.size() && s[i] == 'Z') {
      ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      const int sign = s[i++] == '-' ? -1 : 1;
      int oh, om = 0;
      if (!Digits(s, &i, 2, &oh)) return false;
      if (i < s.size() && s[i] == ':') ++i;
      if (i < s.size() && !Digits(s, &i, 2, &om)) return false;
      offset_seconds = sign * (oh * 3600 + om * 60);
    }
  }
  if (i != s.size() || h > 23 || mi > 59 || sec > 60) return false;
  const int64_t seconds = *days * 86400 + h * 3600 + mi * 60 + sec - offset_seconds;
  *nanos = static_cast<__int128>(seconds) * 1'000'000'000 + fraction;
  return true;
}

// A Joda-style pattern (HiveJsonSerDe TimestampFormats): yyyy yy MM dd HH hh mm ss S... a Z ZZ
// and 'quoted' literals; other characters match themselves.
bool ParseJoda(std::string_view s, std::string_view p, __int128* nanos) {
  size_t i = 0, k = 0;
  int y = 1970, mo = 1, d = 1, h = 0, mi = 0, sec = 0;
  int64_t fraction = 0, offset = 0;
  bool pm = false, twelve = false;
  while (k < p.size()) {
    const char c = p[k];
    size_t run = 1;
    while (k + run < p.size() && p[k + run] == c) ++run;
    bool ok = true;
    if (c == '\'') {
      const size_t close = p.find('\'', k + 1);
      if (close == std::string_view::npos) return false;
      const std::string_view literal = p.substr(k + 1, close - k - 1);
      ok = s.substr(i, literal.size()) == literal;
      i += literal.size();
      k = close + 1;
      if (!ok) return false;
      continue;
    }
    switch (c) {
      case 'y': ok = Digits(s, &i, run == 2 ? 2 : 4, &y), y += run == 2 ? 2000 : 0; break;
      case 'M': ok = Digits(s, &i, 2, &mo); break;
      case 'd': ok = Digits(s, &i, 2, &d); break;
      case 'H': ok = Digits(s, &i, 2, &h); break;
      case 'h': ok = Digits(s, &i, 2, &h), twelve = true; break;
      case 'm': ok = Digits(s, &i, 2, &mi); break;
      case 's': ok = Digits(s, &i, 2, &sec); break;
      case 'S': {
        int n = 0;
        for (; n < static_cast<int>(run) && i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++n, ++i) {
          if (n < 9) fraction = fraction * 10 + (s[i] - '0');
        }
        ok = n == static_cast<int>(run);
        for (; n < 9; ++n) fraction *= 10;
        break;
      }
      case 'a':
        ok = i + 2 <= s.size() && (s.substr(i, 2) == "AM" || s.substr(i, 2) == "PM");
        if (ok) pm = s[i] == 'P', i += 2;
        break;
      case 'Z': {
        if (i < s.size() && s[i] == 'Z') {
          ++i;
          break;
        }
        ok = i < s.size() && (s[i] == '+' || s[i] == '-');
        if (!ok) break;
        const int sign = s[i++] == '-' ? -1 : 1;
        int oh, om;
        ok = Digits(s, &i, 2, &oh);
        if (ok && i < s.size() && s[i] == ':') ++i;
        ok = ok && Digits(s, &i, 2, &om);
        offset = sign * (oh * 3600 + om * 60);
        break;
      }
      default:
        for (size_t r = 0; r < run && ok; ++r) ok = i < s.size() && s[i++] == c;
    }
    if (!ok) return false;
    k += run;
  }
  if (i != s.size()) return false;
  if (twelve) h = h % 12 + (pm ? 12 : 0);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return false;
  const int64_t seconds = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
                          mi * 60 + sec - offset;
  *nanos = static_cast<__int128>(seconds) * 1'000'000'000 + fraction;
  return true;
}

class RowBuilder {
 public:
  RowBuilder(const std::vector<Column>& columns, const InputOptions& input) : columns_(columns), input_(input) {}

  Status Row(simdjson::ondemand::document& doc, Value* row) {
    simdjson::ondemand::object object;
    if (doc.get_object().get(object)) return Status::InvalidArgument("the record is not a JSON object");
    row->kind = Value::Kind::kStruct;
    row->items.assign(columns_.size(), Null());
    for (auto member : object) {
      std::string_view key;
      simdjson::ondemand::value value;
      if (member.unescaped_key().get(key) || member.value().get(value)) return Status::InvalidArgument("malformed JSON");
      std::string name(key);
      if (input_.dots_to_underscores) std::replace(name.begin(), name.end(), '.', '_');
      for (size_t c = 0; c < columns_.size(); ++c) {
        const auto mapped = input_.column_to_json_key.find(columns_[c].name);
        const std::string& wanted = mapped != input_.column_to_json_key.end() ? mapped->second : columns_[c].name;
        if (!Same(name, wanted)) continue;
        HYDRANT_RETURN_IF_ERROR(Convert(columns_[c].type, value, columns_[c].name, &row->items[c]));
        break;
      }
    }
    return Status::Ok();
  }

 private:
  bool Same(std::string_view a, std::string_view b) const {
    if (!input_.hive && !input_.case_insensitive) return a == b;
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
  }

  static Status Invalid(std::string_view column, const schema::HiveType& type, std::string_view text) {
    return Status::InvalidArgument("column " + std::string(column) + " (" + type.ToString() + ") cannot hold " +
                                   std::string(text.substr(0, 100)));
  }

  Status Scalar(const schema::HiveType& type, std::string_view text, bool json_string, std::string_view column,
                Value* out) const {
    switch (type.kind) {
      case Kind::kString:
      case Kind::kChar:
      case Kind::kVarchar:
      case Kind::kBinary: {
        std::string s(text);
        if (type.kind == Kind::kVarchar && s.size() > static_cast<size_t>(type.length)) s.resize(type.length);
        *out = BytesValue(std::move(s));
        return Status::Ok();
      }
      case Kind::kTinyint:
      case Kind::kSmallint:
      case Kind::kInt:
      case Kind::kBigint: {
        int64_t v;
        const int64_t max = type.kind == Kind::kTinyint ? INT8_MAX : type.kind == Kind::kSmallint ? INT16_MAX
                            : type.kind == Kind::kInt   ? INT32_MAX : INT64_MAX;
        if (!ParseInt(text, &v) || v > max || v < -max - 1) return Invalid(column, type, text);
        *out = IntValue(v);
        return Status::Ok();
      }
      case Kind::kFloat:
      case Kind::kDouble: {
        std::string s(text);
        char* end = nullptr;
        const double v = std::strtod(s.c_str(), &end);
        if (s.empty() || end != s.c_str() + s.size()) return Invalid(column, type, text);
        *out = Value{.kind = type.kind == Kind::kFloat ? Value::Kind::kFloat : Value::Kind::kDouble, .real = v};
        return Status::Ok();
      }
      case Kind::kBoolean: {
        std::string s(text);
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
        if (s != "true" && s != "false") return Invalid(column, type, text);
        *out = Value{.kind = Value::Kind::kBool, .boolean = s == "true"};
        return Status::Ok();
      }
      case Kind::kDecimal: {
        __int128 unscaled;
        if (!ParseDecimal(text, type.precision, type.scale, &unscaled)) return Invalid(column, type, text);
        *out = DecimalValue(unscaled, type.precision);
        return Status::Ok();
      }
      case Kind::kDate: {
        __int128 unused;
        int64_t days;
        if (!json_string || !ParseDateTime(text, true, &unused, &days)) return Invalid(column, type, text);
        *out = IntValue(days);
        return Status::Ok();
      }
      case Kind::kTimestamp: return Timestamp(type, text, json_string, column, out);
      default: return Invalid(column, type, text);
    }
  }

  Status Timestamp(const schema::HiveType& type, std::string_view text, bool json_string, std::string_view column,
                   Value* out) const {
    __int128 nanos;
    int64_t days;
    if (input_.hive && !input_.timestamp_formats.empty()) {
      for (const std::string& format : input_.timestamp_formats) {
        int64_t millis;
        if (format == "millis" ? ParseInt(text, &millis) && (nanos = static_cast<__int128>(millis) * 1'000'000, true)
                               : ParseJoda(text, format, &nanos)) {
          *out = Int96(nanos);
          return Status::Ok();
        }
      }
      return Invalid(column, type, text);
    }
    if (ParseDateTime(text, false, &nanos, &days)) {
      *out = Int96(nanos);
      return Status::Ok();
    }
    if (!input_.hive) {  // OpenX: epoch seconds, or milliseconds for values beyond the year 5138
      int64_t whole;
      if (ParseInt(text, &whole)) {
        *out = Int96(static_cast<__int128>(whole) * (std::llabs(whole) >= 100'000'000'000 ? 1'000'000 : 1'000'000'000));
        return Status::Ok();
      }
      std::string s(text);
      char* end = nullptr;
      const double seconds = std::strtod(s.c_str(), &end);
      if (!json_string && !s.empty() && end == s.c_str() + s.size() && std::isfinite(seconds)) {
        *out = Int96(static_cast<__int128>(std::llround(seconds * 1e9)));
        return Status::Ok();
      }
    }
    return Invalid(column, type, text);
  }

  Status Convert(const schema::HiveType& type, simdjson::ondemand::value value, std::string_view column,
                 Value* out) const {
    simdjson::ondemand::json_type json;
    if (value.type().get(json)) return Status::InvalidArgument("malformed JSON");
    if (type.kind == Kind::kArray && !input_.hive && json != simdjson::ondemand::json_type::array &&
        json != simdjson::ondemand::json_type::null) {
      // OpenX promotes a single value to a one-element array.
      out->kind = Value::Kind::kList;
      out->items.emplace_back();
      return Convert(type.fields[0].type, value, column, &out->items.back());
    }
    switch (json) {
      case simdjson::ondemand::json_type::null: *out = Null(); return Status::Ok();
      case simdjson::ondemand::json_type::string: {
        std::string_view s;
        if (value.get_string().get(s)) return Status::InvalidArgument("malformed JSON");
        if (!type.primitive()) return Invalid(column, type, s);
        // HiveJsonSerDe takes no strings in numeric columns.
        if (input_.hive && type.kind >= Kind::kTinyint && type.kind <= Kind::kDecimal) return Invalid(column, type, s);
        return Scalar(type, s, true, column, out);
      }
      case simdjson::ondemand::json_type::number:
      case simdjson::ondemand::json_type::boolean: {
        std::string_view s = value.raw_json_token();
        while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
        if (!type.primitive()) return Invalid(column, type, s);
        return Scalar(type, s, false, column, out);
      }
      case simdjson::ondemand::json_type::array: {
        if (type.kind != Kind::kArray) return Raw(type, value, column, out);
        simdjson::ondemand::array array;
        if (value.get_array().get(array)) return Status::InvalidArgument("malformed JSON");
        out->kind = Value::Kind::kList;
        for (auto element : array) {
          simdjson::ondemand::value v;
          if (element.get(v)) return Status::InvalidArgument("malformed JSON");
          out->items.emplace_back();
          HYDRANT_RETURN_IF_ERROR(Convert(type.fields[0].type, v, column, &out->items.back()));
        }
        return Status::Ok();
      }
      case simdjson::ondemand::json_type::object: {
        if (type.kind != Kind::kMap && type.kind != Kind::kStruct) return Raw(type, value, column, out);
        simdjson::ondemand::object object;
        if (value.get_object().get(object)) return Status::InvalidArgument("malformed JSON");
        if (type.kind == Kind::kStruct) {
          out->kind = Value::Kind::kStruct;
          out->items.assign(type.fields.size(), Null());
        } else {
          out->kind = Value::Kind::kList;
        }
        for (auto member : object) {
          std::string_view key;
          simdjson::ondemand::value v;
          if (member.unescaped_key().get(key) || member.value().get(v)) return Status::InvalidArgument("malformed JSON");
          if (type.kind == Kind::kMap) {
            Value entry{.kind = Value::Kind::kStruct, .items = {Null(), Null()}};
            HYDRANT_RETURN_IF_ERROR(Scalar(type.fields[0].type, key, true, column, &entry.items[0]));
            HYDRANT_RETURN_IF_ERROR(Convert(type.fields[1].type, v, column, &entry.items[1]));
            out->items.push_back(std::move(entry));
            continue;
          }
          for (size_t f = 0; f < type.fields.size(); ++f) {
            if (!Same(key, type.fields[f].name)) continue;
            HYDRANT_RETURN_IF_ERROR(Convert(type.fields[f].type, v, column, &out->items[f]));
            break;
          }
        }
        return Status::Ok();
      }
    }
    return Status::InvalidArgument("malformed JSON");
  }

  // An object or array into a string column is its JSON text; into any other type an error.
  Status Raw(const schema::HiveType& type, simdjson::ondemand::value value, std::string_view column, Value* out) const {
    std::string_view text;
    if (simdjson::to_json_string(value).get(text)) return Status::InvalidArgument("malformed JSON");
    // HiveJsonSerDe does not turn nested JSON into a string column's text; OpenX does.
    if (input_.hive || (type.kind != Kind::kString && type.kind != Kind::kVarchar && type.kind != Kind::kChar)) {
      return Invalid(column, type, text);
    }
    *out = BytesValue(std::string(text));
    return Status::Ok();
  }

  const std::vector<Column>& columns_;
  const InputOptions& input_;
};


}  // namespace

Node NodeOf(const std::string& name, const schema::HiveType& type) {
  Node n{.name = name, .repetition = Repetition::kOptional};
  switch (type.kind) {
    case Kind::kString:
    case Kind::kChar:
    case Kind::kVarchar: n.physical = Physical::kByteArray, n.converted = Converted::kUtf8; break;
    case Kind::kBinary: n.physical = Physical::kByteArray; break;
    case Kind::kTinyint: n.physical = Physical::kInt32, n.converted = Converted::kInt8; break;
    case Kind::kSmallint: n.physical = Physical::kInt32, n.converted = Converted::kInt16; break;
    case Kind::kInt: n.physical = Physical::kInt32; break;
    case Kind::kBigint: n.physical = Physical::kInt64; break;
    case Kind::kFloat: n.physical = Physical::kFloat; break;
    case Kind::kDouble: n.physical = Physical::kDouble; break;
    case Kind::kBoolean: n.physical = Physical::kBoolean; break;
    case Kind::kDate: n.physical = Physical::kInt32, n.converted = Converted::kDate; break;
    case Kind::kTimestamp: n.physical = Physical::kInt96; break;
    case Kind::kDecimal:
      n.physical = Physical::kFixedLenByteArray;
      n.type_length = DecimalBytes(type.precision);
      n.converted = Converted::kDecimal;
      n.precision = type.precision;
      n.scale = type.scale;
      break;
    case Kind::kArray: {
      n.group = true;
      n.converted = Converted::kList;
      Node list{.name = "list", .repetition = Repetition::kRepeated, .group = true};
      list.children.push_back(NodeOf("element", type.fields[0].type));
      n.children.push_back(std::move(list));
      break;
    }
    case Kind::kMap: {
      n.group = true;
      n.converted = Converted::kMap;
      Node entries{.name = "key_value", .repetition = Repetition::kRepeated, .group = true};
      Node key = NodeOf("key", type.fields[0].type);
      key.repetition = Repetition::kRequired;
      entries.children.push_back(std::move(key));
      entries.children.push_back(NodeOf("value", type.fields[1].type));
      n.children.push_back(std::move(entries));
      break;
    }
    case Kind::kStruct:
      n.group = true;
      for (const auto& field : type.fields) n.children.push_back(NodeOf(field.name, field.type));
      break;
  }
  return n;
}

Result<std::unique_ptr<ParquetConverter>> ParquetConverter::Create(std::vector<Column> columns, InputOptions input,
                                                                   format::parquet::WriterOptions output) {
  std::vector<Node> nodes;
  for (const Column& c : columns) nodes.push_back(NodeOf(c.name, c.type));
  auto writer = format::parquet::ParquetWriter::Create(std::move(nodes), std::move(output));
  if (!writer.ok()) return writer.status();
  return std::unique_ptr<ParquetConverter>(new ParquetConverter(std::move(columns), std::move(input), std::move(*writer)));
}

Status ParquetConverter::Add(std::string_view record) {
  thread_local simdjson::ondemand::parser parser;
  std::vector<Value> rows;
  RowBuilder builder(columns_, input_);
  std::string buffer;
  for (size_t i = 0; i < record.size();) {
    if (std::isspace(static_cast<unsigned char>(record[i]))) {
      ++i;
      continue;
    }
    if (record[i] != '{') return Status::InvalidArgument("the record is not JSON objects");
    const size_t end = format::EndOfJsonValue(record, i);
    if (end == std::string_view::npos) return Status::InvalidArgument("a JSON object is not closed");
    buffer.assign(record.substr(i, end - i));
    buffer.reserve(buffer.size() + simdjson::SIMDJSON_PADDING);
    simdjson::ondemand::document doc;
    if (parser.iterate(buffer.data(), buffer.size(), buffer.capacity()).get(doc)) {
      return Status::InvalidArgument("malformed JSON");
    }
    rows.emplace_back();
    HYDRANT_RETURN_IF_ERROR(builder.Row(doc, &rows.back()));
    i = end;
  }
  if (rows.empty()) return Status::InvalidArgument("the record holds no JSON object");
  for (const Value& row : rows) HYDRANT_RETURN_IF_ERROR(writer_->Append(row));
  return Status::Ok();
}

Status ParquetConverter::AddEach(std::string_view records) {
  for (size_t i = 0; i < records.size();) {
    if (std::isspace(static_cast<unsigned char>(records[i]))) {
      ++i;
      continue;
    }
    const size_t end = format::EndOfJsonValue(records, i);
    if (records[i] != '{' || end == std::string_view::npos) return Status::InvalidArgument("the records are not JSON objects");
    HYDRANT_RETURN_IF_ERROR(Add(records.substr(i, end - i)));
    i = end;
  }
  return Status::Ok();
}

}  // namespace hydrant::conversion
