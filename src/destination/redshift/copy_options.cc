// CopyOptions: a tokenizer over Redshift's COPY option syntax and the rules between options.
#include "destination/redshift/copy_options.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace hydrant::destination::redshift {
namespace {

struct Token {
  std::string text;    // a keyword upper-cased, or a quoted value without its quotes
  bool quoted = false;
};

Result<std::vector<Token>> Tokenize(std::string_view s) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == ';') {
      for (++i; i < s.size(); ++i) {
        if (!std::isspace(static_cast<unsigned char>(s[i]))) {
          return Status::InvalidArgument("CopyOptions: nothing may follow ';'");
        }
      }
    } else if (c == '\'') {
      Token t{.text = "", .quoted = true};
      for (++i;; ++i) {
        if (i >= s.size()) return Status::InvalidArgument("CopyOptions: a quoted value is not closed");
        if (s[i] == '\'' && i + 1 < s.size() && s[i + 1] == '\'') {
          t.text += '\'';
          ++i;
        } else if (s[i] == '\'') {
          ++i;
          break;
        } else {
          t.text += s[i];
        }
      }
      tokens.push_back(std::move(t));
    } else {
      Token t;
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i])) && s[i] != '\'' && s[i] != ';') {
        t.text += static_cast<char>(std::toupper(static_cast<unsigned char>(s[i++])));
      }
      tokens.push_back(std::move(t));
    }
  }
  return tokens;
}

// One character as Redshift writes it in quotes: itself, '\t', '\\', or octal '\ddd'.
Result<char> OneChar(const std::string& value, std::string_view option) {
  if (value.size() == 1) return value[0];
  if (value.size() == 2 && value[0] == '\\') {
    switch (value[1]) {
      case 't': return '\t';
      case '\\': return '\\';
      case '\'': return '\'';
      default: break;
    }
  }
  if (value.size() == 4 && value[0] == '\\' && std::all_of(value.begin() + 1, value.end(), [](char c) {
        return c >= '0' && c <= '7';
      })) {
    const int code = (value[1] - '0') * 64 + (value[2] - '0') * 8 + (value[3] - '0');
    if (code > 0 && code < 128) return static_cast<char>(code);
  }
  return Status::InvalidArgument("CopyOptions: " + std::string(option) + " must be one ASCII character, not '" +
                                 value + "'");
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Result<CopyOptions> Run() {
    while (i_ < tokens_.size()) {
      const Token& t = tokens_[i_++];
      if (t.quoted) return Status::InvalidArgument("CopyOptions: unexpected value '" + t.text + "'");
      HYDRANT_RETURN_IF_ERROR(Option(t.text));
    }
    return Check();
  }

 private:
  bool Next(std::string_view keyword) {
    if (i_ < tokens_.size() && !tokens_[i_].quoted && tokens_[i_].text == keyword) {
      ++i_;
      return true;
    }
    return false;
  }
  Result<std::string> Quoted(std::string_view option) {
    Next("AS");
    if (i_ >= tokens_.size() || !tokens_[i_].quoted) {
      return Status::InvalidArgument("CopyOptions: " + std::string(option) + " needs a quoted value");
    }
    return tokens_[i_++].text;
  }
  Result<int64_t> Number(std::string_view option, int64_t max) {
    Next("AS");
    if (i_ < tokens_.size() && !tokens_[i_].text.empty() && tokens_[i_].text.size() <= 9 &&
        std::all_of(tokens_[i_].text.begin(), tokens_[i_].text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      const int64_t n = std::stoll(tokens_[i_++].text);
      if (n <= max) return n;
    }
    return Status::InvalidArgument("CopyOptions: " + std::string(option) + " needs a number from 0 to " +
                                   std::to_string(max));
  }

  Status Json() {
    auto value = Quoted("JSON");
    if (!value.ok()) return value.status();
    std::string lower = *value;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    o_.format = InputFormat::kJson;
    json_ = true;
    if (lower == "auto") {
      o_.json = JsonMapping::kAuto;
    } else if (lower == "auto ignorecase") {
      o_.json = JsonMapping::kAutoIgnoreCase;
    } else if (lower.starts_with("s3://") && value->find('/', 5) != std::string::npos) {
      o_.json = JsonMapping::kJsonPaths;
      o_.jsonpaths_url = *value;
    } else {
      return Status::InvalidArgument("CopyOptions: JSON takes 'auto', 'auto ignorecase' or 's3://bucket/jsonpaths-file', not '" +
                                     *value + "'");
    }
    return Status::Ok();
  }
  Status Csv() {
    o_.format = InputFormat::kCsv;
    csv_ = true;
    if (Next("QUOTE")) {
      auto quote = Quoted("QUOTE");
      if (!quote.ok()) return quote.status();
      auto c = OneChar(*quote, "QUOTE");
      if (!c.ok()) return c.status();
      o_.quote = *c;
    }
    return Status::Ok();
  }

  Status Option(const std::string& name) {
    if (name == "FORMAT") {
      Next("AS");
      if (Next("JSON")) return Json();
      if (Next("CSV")) return Csv();
      return Status::InvalidArgument("CopyOptions: FORMAT supports JSON and CSV in Hydrant");
    }
    if (name == "JSON") return Json();
    if (name == "CSV") return Csv();
    if (name == "DELIMITER") {
      auto value = Quoted(name);
      if (!value.ok()) return value.status();
      auto c = OneChar(*value, name);
      if (!c.ok()) return c.status();
      o_.delimiter = *c;
      delimiter_ = true;
      return Status::Ok();
    }
    if (name == "ESCAPE") return o_.escape = true, Status::Ok();
    if (name == "IGNOREHEADER") {
      auto n = Number(name, 100'000'000);
      if (!n.ok()) return n.status();
      o_.ignore_header = *n;
      return Status::Ok();
    }
    if (name == "NULL") {
      auto value = Quoted("NULL AS");
      if (!value.ok()) return value.status();
      o_.null_as = *value;
      return Status::Ok();
    }
    if (name == "EMPTYASNULL") return o_.empty_as_null = true, Status::Ok();
    if (name == "BLANKSASNULL") return o_.blanks_as_null = true, Status::Ok();
    if (name == "GZIP") return o_.gzip = true, Status::Ok();
    if (name == "TRUNCATECOLUMNS") return o_.truncate_columns = true, Status::Ok();
    if (name == "ACCEPTINVCHARS") {
      o_.accept_inv_chars = '?';
      if (i_ < tokens_.size() && (tokens_[i_].quoted || (tokens_[i_].text == "AS" && i_ + 1 < tokens_.size()))) {
        auto value = Quoted(name);
        if (!value.ok()) return value.status();
        auto c = OneChar(*value, name);
        if (!c.ok()) return c.status();
        o_.accept_inv_chars = *c;
      }
      return Status::Ok();
    }
    if (name == "TIMEFORMAT" || name == "DATEFORMAT") {
      auto value = Quoted(name);
      if (!value.ok()) return value.status();
      std::string lower = *value;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      const bool keyword = lower == "auto" || lower == "epochsecs" || lower == "epochmillisecs";
      if (name == "DATEFORMAT" && keyword && lower != "auto") {
        return Status::InvalidArgument("CopyOptions: DATEFORMAT takes 'auto' or a pattern, not '" + *value + "'");
      }
      (name == "TIMEFORMAT" ? o_.time_format : o_.date_format) = keyword ? lower : *value;
      return Status::Ok();
    }
    if (name == "MAXERROR") {
      auto n = Number(name, 100'000);
      if (!n.ok()) return n.status();
      o_.max_error = *n;
      return Status::Ok();
    }
    // Meaningful only to Redshift itself: accepted, as they change nothing in what is loaded.
    if (name == "REGION") return Quoted(name).status();
    if (name == "COMPUPDATE" || name == "STATUPDATE") {
      for (std::string_view v : {"ON", "OFF", "TRUE", "FALSE", "PRESET"}) {
        if (Next(v)) break;
      }
      return Status::Ok();
    }
    return Status::InvalidArgument("CopyOptions: " + name + " is not supported by Hydrant");
  }

  Result<CopyOptions> Check() {
    if (json_) {
      for (auto [given, option] : {std::pair{csv_, "CSV"}, std::pair{delimiter_, "DELIMITER"},
                                   std::pair{o_.null_as.has_value(), "NULL AS"}, std::pair{o_.escape, "ESCAPE"}}) {
        if (given) return Status::InvalidArgument(std::string("CopyOptions: ") + option + " cannot be used with JSON");
      }
    }
    if (o_.format == InputFormat::kCsv) {
      if (o_.escape) return Status::InvalidArgument("CopyOptions: ESCAPE cannot be used with CSV");
      if (!delimiter_) o_.delimiter = ',';
      if (o_.delimiter == o_.quote) {
        return Status::InvalidArgument("CopyOptions: the CSV quote character cannot be the delimiter");
      }
    }
    if (o_.format == InputFormat::kDelimited && !o_.null_as) o_.null_as = "\\N";
    return o_;
  }

  std::vector<Token> tokens_;
  size_t i_ = 0;
  CopyOptions o_;
  bool json_ = false, csv_ = false, delimiter_ = false;
};

}  // namespace

Result<CopyOptions> ParseCopyOptions(std::string_view text) {
  auto tokens = Tokenize(text);
  if (!tokens.ok()) return tokens.status();
  return Parser(std::move(*tokens)).Run();
}

}  // namespace hydrant::destination::redshift
