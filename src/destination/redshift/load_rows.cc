// Load rows: the three input readers (delimited, CSV, JSON) and the per-value conversion rules.
#include "destination/redshift/load_rows.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>

#include "format/json_text.h"

namespace hydrant::destination::redshift {
namespace {

using Field = std::optional<std::string>;  // nullopt: NULL

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c == ' ' || c == '\t'; });
}

// Invalid UTF-8 bytes become `replacement` (ACCEPTINVCHARS).
void ReplaceInvalidUtf8(std::string* s, char replacement) {
  std::string& v = *s;
  for (size_t i = 0; i < v.size();) {
    const unsigned char c = v[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = n > 0 && i + n <= v.size() && !(n == 2 && c < 0xC2);
    for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(v[i + k]) >> 6) == 0x2;
    if (c == 0) ok = false;  // PostgreSQL text cannot hold NUL
    if (ok) {
      i += n;
    } else {
      v[i++] = replacement;
    }
  }
}

// Keeps the first `max_chars` UTF-8 characters.
void TruncateChars(std::string* s, int32_t max_chars) {
  int32_t chars = 0;
  for (size_t i = 0; i < s->size(); ++i) {
    if ((static_cast<unsigned char>((*s)[i]) >> 6) != 0x2 && chars++ == max_chars) {
      s->resize(i);
      return;
    }
  }
}

// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

// 'epochsecs' / 'epochmillisecs': an integer, or seconds with a fraction.
std::optional<std::string> FromEpoch(std::string_view v, bool millis, bool with_zone) {
  bool negative = !v.empty() && v[0] == '-';
  if (negative) v.remove_prefix(1);
  const size_t dot = v.find('.');
  std::string_view whole = v.substr(0, dot), fraction = dot == std::string_view::npos ? "" : v.substr(dot + 1);
  auto digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
  };
  if (whole.empty() || whole.size() > 15 || !digits(whole) || !digits(fraction) || (millis && !fraction.empty())) {
    return std::nullopt;
  }
  int64_t micros = std::stoll(std::string(whole)) * (millis ? 1000 : 1'000'000);
  std::string f(fraction.substr(0, 6));
  f.resize(6, '0');
  if (!millis) micros += std::stoll(f);
  if (negative) micros = -micros;
  int64_t seconds = micros >= 0 ? micros / 1'000'000 : -((-micros + 999'999) / 1'000'000);
  const int64_t us = micros - seconds * 1'000'000;
  int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
  const int64_t sod = seconds - days * 86400;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char out[96];
  std::snprintf(out, sizeof out, "%04lld-%02u-%02u %02lld:%02lld:%02lld.%06lld%s", static_cast<long long>(y), m, d,
                static_cast<long long>(sod / 3600), static_cast<long long>(sod / 60 % 60),
                static_cast<long long>(sod % 60), static_cast<long long>(us), with_zone ? "+00" : "");
  return std::string(out);
}

// A value read with a Redshift datetime pattern ('YYYY-MM-DD HH:MI:SS', 'MM/DD/YYYY', ...):
// YYYY YY MM MON DD HH24 HH12 HH MI SS MS US AM PM; other characters must match themselves.
// Seconds may carry a fraction the pattern does not spell. ISO text, or nullopt.
std::optional<std::string> FromPattern(std::string_view v, std::string_view pattern, bool date_only) {
  int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  std::string fraction;
  bool pm = false, twelve = false;
  size_t i = 0, p = 0;
  auto number = [&](size_t max_digits, int* out) {
    size_t n = 0;
    int value = 0;
    while (n < max_digits && i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) {
      value = value * 10 + (v[i++] - '0');
      ++n;
    }
    *out = value;
    return n > 0;
  };
  auto starts = [&](std::string_view token) {
    if (pattern.size() - p < token.size()) return false;
    for (size_t k = 0; k < token.size(); ++k) {
      if (std::toupper(static_cast<unsigned char>(pattern[p + k])) != token[k]) return false;
    }
    p += token.size();
    return true;
  };
  static constexpr std::string_view kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                 "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  while (p < pattern.size()) {
    bool ok = true;
    int ignored;
    if (starts("YYYY")) {
      ok = number(4, &year);
    } else if (starts("YY")) {
      ok = number(2, &year);
      year += year < 70 ? 2000 : 1900;
    } else if (starts("MON")) {
      ok = false;
      for (size_t m = 0; m < 12 && !ok && i + 3 <= v.size(); ++m) {
        ok = std::equal(kMonths[m].begin(), kMonths[m].end(), v.begin() + i,
                        [](char a, char b) { return a == std::toupper(static_cast<unsigned char>(b)); });
        if (ok) month = static_cast<int>(m) + 1, i += 3;
      }
    } else if (starts("MM")) {
      ok = number(2, &month);
    } else if (starts("DD")) {
      ok = number(2, &day);
    } else if (starts("HH24")) {
      ok = number(2, &hour);
    } else if (starts("HH12") || starts("HH")) {
      ok = number(2, &hour);
      twelve = true;
    } else if (starts("MI")) {
      ok = number(2, &minute);
    } else if (starts("SS")) {
      ok = number(2, &second);
      if (ok && i + 1 < v.size() && v[i] == '.' && (p >= pattern.size() || pattern[p] != '.')) {
        for (++i; i < v.size() && std::isdigit(static_cast<unsigned char>(v[i])); ++i) fraction += v[i];
      }
    } else if (starts("MS")) {
      const size_t at = i;
      ok = number(3, &ignored);
      fraction = std::string(v.substr(at, i - at));
    } else if (starts("US")) {
      const size_t at = i;
      ok = number(6, &ignored);
      fraction = std::string(v.substr(at, i - at));
    } else if (starts("AM") || starts("PM")) {
      ok = i + 2 <= v.size() && std::toupper(static_cast<unsigned char>(v[i + 1])) == 'M';
      if (ok) pm = std::toupper(static_cast<unsigned char>(v[i])) == 'P', i += 2;
    } else {
      ok = i < v.size() && v[i] == pattern[p];
      ++i, ++p;
    }
    if (!ok) return std::nullopt;
  }
  if (i != v.size()) return std::nullopt;
  if (twelve) {
    if (hour < 1 || hour > 12) return std::nullopt;
    hour = hour % 12 + (pm ? 12 : 0);
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  char out[80];
  if (date_only) {
    std::snprintf(out, sizeof out, "%04d-%02d-%02d", year, month, day);
  } else {
    std::snprintf(out, sizeof out, "%04d-%02d-%02d %02d:%02d:%02d%s%s", year, month, day, hour, minute, second,
                  fraction.empty() ? "" : ".", fraction.substr(0, 6).c_str());
  }
  return std::string(out);
}

class RowWriter {
 public:
  RowWriter(const CopyOptions& options, std::span<const Column> columns, LoadRows* out)
      : o_(options), columns_(columns), out_(out) {}

  // One row of fields in column order; `line` is where it starts. False: rejected.
  bool Add(std::vector<Field>& fields, int64_t line) {
    if (fields.size() < columns_.size()) return Reject(line, "Delimiter not found");
    if (fields.size() > columns_.size()) return Reject(line, "Extra column(s) found");
    const size_t start = out_->csv.size();
    for (size_t c = 0; c < fields.size(); ++c) {
      std::string reason;
      if (c > 0) out_->csv += ',';
      if (!Convert(columns_[c], &fields[c], &reason)) {
        out_->csv.resize(start);
        return Reject(line, reason);
      }
      if (!fields[c]) continue;
      out_->csv += '"';
      for (char ch : *fields[c]) {
        if (ch == '"') out_->csv += '"';
        out_->csv += ch;
      }
      out_->csv += '"';
    }
    out_->csv += '\n';
    out_->ends.push_back(out_->csv.size());
    out_->lines.push_back(line);
    return true;
  }

  bool Reject(int64_t line, std::string reason) {
    out_->rejected.push_back({line, std::move(reason)});
    return false;
  }

 private:
  // Redshift's rules for one value; false with the reason when the value cannot load.
  bool Convert(const Column& column, Field* field, std::string* reason) const {
    if (!*field) return true;
    std::string& v = **field;
    if (o_.null_as && v == *o_.null_as) return field->reset(), true;
    if (o_.accept_inv_chars) ReplaceInvalidUtf8(&v, *o_.accept_inv_chars);
    if (column.type == ColumnType::kText) {
      if ((o_.empty_as_null && v.empty()) || (o_.blanks_as_null && IsBlank(v))) return field->reset(), true;
      if (o_.truncate_columns && column.max_chars > 0) TruncateChars(&v, column.max_chars);
      return true;
    }
    // Empty fields of other types always load as NULL (blank ones with BLANKSASNULL).
    if (v.empty() || (o_.blanks_as_null && IsBlank(v))) return field->reset(), true;
    const bool time = column.type == ColumnType::kTimestamp || column.type == ColumnType::kTimestampTz;
    const std::string& format = time ? o_.time_format : column.type == ColumnType::kDate ? o_.date_format : "";
    if (format.empty() || format == "auto") return true;  // PostgreSQL reads it
    std::optional<std::string> converted;
    if (format == "epochsecs" || format == "epochmillisecs") {
      converted = FromEpoch(v, format == "epochmillisecs", column.type == ColumnType::kTimestampTz);
    } else {
      converted = FromPattern(v, format, column.type == ColumnType::kDate);
    }
    if (!converted) {
      *reason = std::string(time ? "Invalid timestamp format or value [" : "Invalid date format or value [") +
                format + "]: column " + column.name + ": " + v.substr(0, 64);
      return false;
    }
    v = std::move(*converted);
    return true;
  }

  const CopyOptions& o_;
  std::span<const Column> columns_;
  LoadRows* out_;
};

// Where the line numbered `*line` ends: skips IGNOREHEADER lines.
size_t SkipHeader(std::string_view in, int64_t lines, int64_t* line) {
  size_t at = 0;
  for (int64_t n = 0; n < lines && at < in.size(); ++n) {
    const size_t nl = in.find('\n', at);
    at = nl == std::string_view::npos ? in.size() : nl + 1;
    ++*line;
  }
  return at;
}

void ReadDelimited(std::string_view in, const CopyOptions& o, RowWriter* rows) {
  int64_t line = 1;
  size_t i = SkipHeader(in, o.ignore_header, &line);
  std::vector<Field> fields;
  while (i < in.size()) {
    const int64_t row_line = line;
    fields.assign(1, std::string());
    for (; i < in.size() && in[i] != '\n'; ++i) {
      if (o.escape && in[i] == '\\' && i + 1 < in.size()) {
        if (in[++i] == '\n') ++line;
        *fields.back() += in[i];
      } else if (in[i] == o.delimiter) {
        fields.emplace_back(std::string());
      } else {
        *fields.back() += in[i];
      }
    }
    ++i, ++line;
    rows->Add(fields, row_line);
  }
}

void ReadCsv(std::string_view in, const CopyOptions& o, RowWriter* rows) {
  int64_t line = 1;
  size_t i = SkipHeader(in, o.ignore_header, &line);
  std::vector<Field> fields;
  while (i < in.size()) {
    const int64_t row_line = line;
    fields.assign(1, std::string());
    bool quoted = false, bad = false;
    for (; i < in.size(); ++i) {
      const char c = in[i];
      if (quoted) {
        if (c == o.quote && i + 1 < in.size() && in[i + 1] == o.quote) {
          *fields.back() += c;
          ++i;
        } else if (c == o.quote) {
          quoted = false;
        } else {
          if (c == '\n') ++line;
          *fields.back() += c;
        }
      } else if (c == o.quote) {
        quoted = true;
      } else if (c == o.delimiter) {
        fields.emplace_back(std::string());
      } else if (c == '\n') {
        break;
      } else {
        *fields.back() += c;
      }
    }
    if (quoted) bad = true;
    ++i, ++line;
    if (bad) {
      rows->Reject(row_line, "Missing newline: Unexpected character found at the end of a quoted field");
    } else {
      rows->Add(fields, row_line);
    }
  }
}


// A JSON value as a column's text: strings unescaped, numbers as written, objects and arrays as
// their JSON text, null as NULL. False when the value is not valid JSON.
bool ValueText(simdjson::ondemand::value value, Field* out) {
  simdjson::ondemand::json_type type;
  if (value.type().get(type)) return false;
  switch (type) {
    case simdjson::ondemand::json_type::null: out->reset(); return true;
    case simdjson::ondemand::json_type::boolean: {
      bool b;
      if (value.get_bool().get(b)) return false;
      *out = b ? "true" : "false";
      return true;
    }
    case simdjson::ondemand::json_type::string: {
      std::string_view s;
      if (value.get_string().get(s)) return false;
      *out = std::string(s);
      return true;
    }
    case simdjson::ondemand::json_type::number: {
      std::string_view s = value.raw_json_token();
      while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
      *out = std::string(s);
      return true;
    }
    default: {
      std::string_view s;
      if (simdjson::to_json_string(value).get(s)) return false;
      *out = std::string(s);
      return true;
    }
  }
}

bool SameIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

void ReadJson(std::string_view in, const CopyOptions& o, std::span<const Column> columns,
              std::span<const std::string> pointers, RowWriter* rows) {
  simdjson::ondemand::parser parser;
  std::string buffer;
  std::vector<Field> fields;
  int64_t line = 1;
  size_t i = 0;
  while (i < in.size()) {
    const char c = in[i];
    if (c == '\n') {
      ++line, ++i;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    const int64_t row_line = line;
    if (c != '{' && c != '[') {
      // Not the start of a JSON object or array: one rejected row up to the next one or line.
      const size_t next = in.find_first_of("{[\n", i);
      i = next == std::string_view::npos ? in.size() : next;
      rows->Reject(row_line, std::string("Invalid JSON: unexpected character '") + c + "'");
      continue;
    }
    const size_t end = format::EndOfJsonValue(in, i);
    const std::string_view text = in.substr(i, end == std::string_view::npos ? in.size() - i : end - i);
    line += std::count(text.begin(), text.end(), '\n');
    i += text.size();
    if (end == std::string_view::npos) {
      rows->Reject(row_line, "Invalid JSON: the object or array is not closed");
      break;
    }
    buffer.assign(text);
    buffer.reserve(text.size() + simdjson::SIMDJSON_PADDING);
    simdjson::ondemand::document doc;
    if (parser.iterate(buffer.data(), buffer.size(), buffer.capacity()).get(doc)) {
      rows->Reject(row_line, "Invalid JSON");
      continue;
    }
    fields.assign(columns.size(), std::nullopt);
    std::string reason;
    if (o.json == JsonMapping::kJsonPaths) {
      for (size_t k = 0; k < pointers.size() && reason.empty(); ++k) {
        simdjson::ondemand::value value;
        const simdjson::error_code e = doc.at_pointer(pointers[k]).get(value);
        if (e == simdjson::NO_SUCH_FIELD) continue;  // a missing element loads NULL
        if (e == simdjson::INDEX_OUT_OF_BOUNDS || e == simdjson::INCORRECT_TYPE) {
          reason = "Invalid JSONPath format: Not an array or index out of range.";
        } else if (e || !ValueText(value, &fields[k])) {
          reason = "Invalid JSON";
        }
      }
    } else {
      simdjson::ondemand::object object;
      if (doc.get_object().get(object)) {
        reason = "Invalid JSONPath format: a top-level JSON array needs a jsonpaths file";
      } else {
        for (auto member : object) {
          std::string_view key;
          simdjson::ondemand::value value;
          if (member.unescaped_key().get(key) || member.value().get(value)) {
            reason = "Invalid JSON";
            break;
          }
          size_t k = 0;
          for (; k < columns.size(); ++k) {
            if (o.json == JsonMapping::kAuto ? key == columns[k].name : SameIgnoringCase(key, columns[k].name)) break;
          }
          if (k == columns.size()) continue;  // keys without a column are ignored
          if (!ValueText(value, &fields[k])) {
            reason = "Invalid JSON";
            break;
          }
        }
      }
    }
    if (!reason.empty()) {
      rows->Reject(row_line, reason);
    } else {
      rows->Add(fields, row_line);
    }
  }
}

}  // namespace

Result<std::vector<std::string>> ParseJsonPaths(std::string_view file, size_t columns) {
  auto fail = [](std::string why) { return Status::InvalidArgument("Invalid JSONPath format: " + why); };
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(file.data(), file.size()).get(root)) return fail("the jsonpaths file is not JSON");
  simdjson::dom::object object;
  simdjson::dom::array paths;
  if (root.get_object().get(object) || object.size() != 1 || object["jsonpaths"].get_array().get(paths)) {
    return fail("the file must be one object with a \"jsonpaths\" array");
  }
  std::vector<std::string> pointers;
  bool dots = false, brackets = false;  // across the file: the two notations cannot be mixed
  for (simdjson::dom::element e : paths) {
    std::string_view path;
    if (e.get_string().get(path) || path.empty() || path[0] != '$') return fail("each path must start with $");
    std::string pointer;
    for (size_t i = 1; i < path.size();) {
      std::string name;
      if (path[i] == '.') {
        dots = true;
        size_t j = i + 1;
        while (j < path.size() && path[j] != '.' && path[j] != '[') ++j;
        name = std::string(path.substr(i + 1, j - i - 1));
        if (name.empty() || name == "*") return fail(std::string(path));
        i = j;
      } else if (path[i] == '[' && i + 1 < path.size() && (path[i + 1] == '\'' || path[i + 1] == '"')) {
        brackets = true;
        const char q = path[i + 1];
        const size_t close = path.find(std::string{q, ']'}, i + 2);
        if (close == std::string_view::npos) return fail(std::string(path));
        name = std::string(path.substr(i + 2, close - i - 2));
        i = close + 2;
      } else if (path[i] == '[') {
        const size_t close = path.find(']', i);
        if (close == std::string_view::npos || close == i + 1) return fail(std::string(path));
        name = std::string(path.substr(i + 1, close - i - 1));
        if (!std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isdigit(c); })) {
          return fail(std::string(path) + ": no wildcards or filters");
        }
        i = close + 1;
      } else {
        return fail(std::string(path));
      }
      pointer += '/';
      for (char c : name) {
        if (c == '~') {
          pointer += "~0";
        } else if (c == '/') {
          pointer += "~1";
        } else {
          pointer += c;
        }
      }
    }
    if (dots && brackets) return fail("dot and bracket notation cannot be mixed (" + std::string(path) + ")");
    pointers.push_back(std::move(pointer));
  }
  if (pointers.size() != columns) {
    return fail("Number of jsonpaths (" + std::to_string(pointers.size()) + ") and the number of columns (" +
                std::to_string(columns) + ") should match");
  }
  return pointers;
}

LoadRows ReadRows(std::string_view input, const CopyOptions& options, std::span<const Column> columns,
                  std::span<const std::string> json_pointers) {
  LoadRows out;
  RowWriter rows(options, columns, &out);
  switch (options.format) {
    case InputFormat::kDelimited: ReadDelimited(input, options, &rows); break;
    case InputFormat::kCsv: ReadCsv(input, options, &rows); break;
    case InputFormat::kJson: ReadJson(input, options, columns, json_pointers, &rows); break;
  }
  return out;
}

}  // namespace hydrant::destination::redshift
