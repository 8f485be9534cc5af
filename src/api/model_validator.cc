// ServiceModel: loads a botocore model and validates request bodies against it.
#include "api/model_validator.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <unordered_map>

#include "common/base64.h"

namespace hydrant::api {

// Generated at build time from firehose_model.json and glue_model.json (scripts/embed_text.cmake).
extern const std::string_view kFirehoseModelJson;
extern const std::string_view kGlueModelJson;

namespace json = boost::json;

struct ServiceModel::Shape {
  enum class Type {
    kStructure,
    kList,
    kMap,
    kString,
    kInteger,
    kLong,
    kFloat,
    kDouble,
    kBoolean,
    kBlob,
    kTimestamp,
  };
  struct Member {
    std::string name;       // as on the wire: "DeliveryStreamName"
    std::string path_name;  // as in messages: "deliveryStreamName"
    const Shape* shape = nullptr;
    bool required = false;
  };
  struct RegexDeleter {
    void operator()(pcre2_code* code) const { pcre2_code_free(code); }
  };

  std::string name;
  Type type = Type::kStructure;
  bool sensitive = false;
  std::optional<double> min, max;  // length for string/blob/list/map, value for numbers
  std::vector<std::string> enum_values;
  std::unique_ptr<pcre2_code, RegexDeleter> regex;
  std::vector<Member> members;                   // in the order the service visits them
  const Shape* element = nullptr;                // list
  const Shape *key = nullptr, *value = nullptr;  // map

  // Constraint texts, built once: "Member must have length less than or equal to 64", ...
  std::string max_text, min_text, pattern_text, enum_text;
  std::string aggregate_text;          // list: "Member must satisfy constraint: [...]"
  std::string keys_text, values_text;  // map

  bool IsScalar() const {
    return type != Type::kStructure && type != Type::kList && type != Type::kMap;
  }
  // "[<max>, <min>, <pattern>, <enum>]" with only the constraints this shape has.
  std::string ConstraintSet() const {
    std::string out = "[";
    for (const std::string* t : {&max_text, &min_text, &pattern_text, &enum_text}) {
      if (t->empty()) continue;
      if (out.size() > 1) out += ", ";
      out += *t;
    }
    return out + "]";
  }
};

namespace {

using Shape = ServiceModel::Shape;
using Type = Shape::Type;

constexpr size_t kMaxReportedViolations = 10;
constexpr std::string_view kNotNull = "Member must not be null";
constexpr std::string_view kStartOfList = "Start of list found where not expected";
constexpr std::string_view kStartOfObject = "Start of structure or map found where not expected.";
// Coral's (odd) words for a scalar where a structure belongs.
constexpr std::string_view kScalarForStructure = "Expected null";
// Java's '.' matches anything but its line terminators; PCRE2's excludes only "\n".
constexpr std::string_view kJavaDot = "[^\\n\\r\\x{85}\\x{2028}\\x{2029}]";

// Bounds print as the model states them: "64", "0.5".
std::string FormatNumber(double d) {
  if (d == std::floor(d) && std::fabs(d) < 1e15) return std::to_string(static_cast<int64_t>(d));
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, end);
}

// Java's Double.toString for the values users send: "1.0", "0.25".
std::string JavaDouble(double d) {
  if (d == std::floor(d) && std::fabs(d) < 1e7) return FormatNumber(d) + ".0";
  return FormatNumber(d);
}

// Java hashCode of a String (UTF-16 units; member names are ASCII) and HashMap's spreading.
uint32_t JavaHashMapHash(std::string_view s) {
  uint32_t h = 0;
  for (unsigned char c : s) h = 31 * h + c;
  return h ^ (h >> 16);
}

// Orders members as a java.util.HashMap filled in model order iterates them: by bucket of the
// table HashMap grows to (16, doubled past 3/4 full), ties in insertion order.
void SortInJavaHashMapOrder(std::vector<Shape::Member>* members) {
  size_t capacity = 16;
  while (members->size() * 4 > capacity * 3) capacity *= 2;
  std::stable_sort(members->begin(), members->end(), [capacity](const auto& a, const auto& b) {
    return (JavaHashMapHash(a.path_name) & (capacity - 1)) <
           (JavaHashMapHash(b.path_name) & (capacity - 1));
  });
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The UTF-16 unit of a Java "\uXXXX" escape at p[i], or -1.
int JavaEscapeUnit(std::string_view p, size_t i) {
  if (i + 5 >= p.size() || p[i] != '\\' || p[i + 1] != 'u') return -1;
  for (size_t k = 2; k < 6; ++k) {
    if (!IsHex(p[i + k])) return -1;
  }
  return std::stoi(std::string(p.substr(i + 2, 4)), nullptr, 16);
}

// Rewrites the Java-only parts of a model pattern for PCRE2: "\uXXXX" (a surrogate pair
// "\uD800\uDC00" is one code point, as Java reads it) and '.'.
std::string TranslateJavaRegex(std::string_view p) {
  std::string out;
  int class_depth = 0;  // Java allows nested classes ([a[b]]): track where the class ends
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      if (const int unit = JavaEscapeUnit(p, i); unit >= 0) {
        int code_point = unit;
        const int low = unit >= 0xD800 && unit <= 0xDBFF ? JavaEscapeUnit(p, i + 6) : -1;
        if (low >= 0xDC00 && low <= 0xDFFF) {
          code_point = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
          i += 6;
        }
        char hex[16];
        std::snprintf(hex, sizeof hex, "\\x{%X}", code_point);
        out += hex;
        i += 5;
      } else {
        out += p.substr(i, 2);
        ++i;
      }
      continue;
    }
    if (c == '[') {
      ++class_depth;
    } else if (c == ']' && class_depth > 0) {
      --class_depth;
    } else if (c == '.' && class_depth == 0) {
      out += kJavaDot;
      continue;
    }
    out += c;
  }
  return out;
}

// Java's String.length(): code points above U+FFFF take two UTF-16 units.
size_t Utf16Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char b : s) {
    if ((b & 0xC0) != 0x80) ++n;
    if (b >= 0xF0) ++n;
  }
  return n;
}

bool FullMatch(const pcre2_code* regex, std::string_view s) {
  struct Deleter {
    void operator()(pcre2_match_data* md) const { pcre2_match_data_free(md); }
  };
  // One ovector pair is all a yes/no match needs; pcre2_match returns 0 when it is too small.
  thread_local std::unique_ptr<pcre2_match_data, Deleter> match_data(
      pcre2_match_data_create(1, nullptr));
  int rc = pcre2_match(regex, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), 0,
                       PCRE2_ANCHORED | PCRE2_ENDANCHORED, match_data.get(), nullptr);
  return rc >= 0;  // negative: no match, or an error (match limit): not satisfied either way
}

// The Java class Jackson would see for a JSON scalar.
std::string_view JavaClassOf(const json::value& v) {
  if (v.is_bool()) return "java.lang.Boolean";
  if (v.is_string()) return "java.lang.String";
  if (v.is_double()) return "java.lang.Double";
  if (v.is_uint64() && v.get_uint64() > static_cast<uint64_t>(INT64_MAX))
    return "java.math.BigInteger";
  int64_t n = v.is_int64() ? v.get_int64() : static_cast<int64_t>(v.get_uint64());
  if (n >= -32768 && n <= 32767) return "java.lang.Short";
  if (n >= INT32_MIN && n <= INT32_MAX) return "java.lang.Integer";
  return "java.lang.Long";
}

// SerializationException text for a value of the wrong JSON type, after Coral's.
std::string CannotConvert(const json::value& v, std::string_view target) {
  if (v.is_array()) return std::string(kStartOfList);
  if (v.is_object()) return std::string(kStartOfObject);
  std::string out = "class ";
  out += JavaClassOf(v);
  out += (target == "Blob" || target == "Date") ? " can not be converted to a "
                                                : " can not be converted to an ";
  out += target;
  return out;
}

std::string Base64Problem(std::string_view s) {
  if (s.size() % 4 != 0) {
    return "Base64 encoded length is expected a multiple of 4 bytes but found: " +
           std::to_string(s.size());
  }
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/';
    bool padding = c == '=' && i + 2 >= s.size() && (i + 1 == s.size() || s[i + 1] == '=');
    if (!alphabet && !padding) return std::string("Invalid Base64 character: '") + c + "'";
  }
  return "Invalid last non-pad Base64 character detected";
}

size_t Base64DecodedLength(std::string_view s) {  // s already known to be canonical
  size_t pad = s.empty() ? 0 : (s.back() == '=') + (s.size() > 1 && s[s.size() - 2] == '=');
  return s.size() / 4 * 3 - pad;
}

// Up to four failed constraints of one scalar (max, min, pattern, enum).
struct Failures {
  std::array<const std::string*, 4> texts{};
  int count = 0;
  void Add(const std::string& t) { texts[count++] = &t; }
};

// Java toString() of a deserialized value, as the older messages print it.
std::string RenderJava(const Shape& shape, const json::value& v) {
  if (v.is_null()) return "null";
  switch (shape.type) {
    case Type::kString:
      return std::string(v.get_string());
    case Type::kBlob: {
      std::string n = std::to_string(Base64DecodedLength(v.get_string()));
      return "java.nio.HeapByteBuffer[pos=0 lim=" + n + " cap=" + n + "]";
    }
    case Type::kBoolean:
      return v.get_bool() ? "true" : "false";
    case Type::kInteger:
    case Type::kLong:
      return v.is_double() ? FormatNumber(std::floor(v.get_double())) : json::serialize(v);
    case Type::kFloat:
    case Type::kDouble:
      return JavaDouble(v.to_number<double>());
    case Type::kTimestamp:
      return json::serialize(v);
    case Type::kList: {
      std::string out = "[";
      for (const json::value& e : v.get_array()) {
        if (out.size() > 1) out += ", ";
        out += RenderJava(*shape.element, e);
      }
      return out + "]";
    }
    case Type::kMap: {
      std::string out = "{";
      for (const auto& kv : v.get_object()) {
        if (out.size() > 1) out += ", ";
        out += kv.key();
        out += '=';
        out += RenderJava(*shape.value, kv.value());
      }
      return out + "}";
    }
    case Type::kStructure: {
      // Object.toString(): class@hash. The hash is the service's own; ours is stable.
      uint32_t h = 2166136261u;
      for (unsigned char c : json::serialize(v)) h = (h ^ c) * 16777619u;
      char hex[9];
      std::snprintf(hex, sizeof hex, "%x", h);
      return "com.amazonaws.firehose.v20150804." + shape.name + "@" + hex;
    }
  }
  return {};
}

// One request's walk over its body.
class Validation {
 public:
  explicit Validation(ServiceModel::ValueStyle style) : style_(style) {}

  // Each Visit returns false once the body cannot be deserialized (malformed_ says why).
  bool Visit(const Shape& shape, const json::value& v) {
    switch (shape.type) {
      case Type::kStructure:
        return VisitStructure(shape, v);
      case Type::kList:
        return VisitList(shape, v);
      case Type::kMap:
        return VisitMap(shape, v);
      default:
        break;
    }
    Failures failures;
    if (!CheckScalar(shape, v, !Full(), &failures)) return false;
    for (int i = 0; i < failures.count; ++i) AddViolation(&shape, &v, *failures.texts[i]);
    return true;
  }

  Status Finish() {
    if (!malformed_.empty()) return Status::Malformed(std::move(malformed_));
    if (violations_.empty()) return Status::Ok();
    std::string out = std::to_string(violations_.size());
    out +=
        violations_.size() == 1 ? " validation error detected: " : " validation errors detected: ";
    for (size_t i = 0; i < violations_.size(); ++i) {
      if (i) out += "; ";
      out += violations_[i];
    }
    return Status::Validation(std::move(out));
  }

 private:
  bool Full() const { return violations_.size() >= kMaxReportedViolations; }

  bool Malformed(std::string reason) {
    malformed_ = std::move(reason);
    return false;
  }

  // Appends ".name" (or "name" at the top) to the path; returns the length to restore.
  size_t Push(std::string_view name) {
    size_t saved = path_.size();
    if (!path_.empty()) path_ += '.';
    path_ += name;
    return saved;
  }
  size_t PushElement(size_t index) {
    size_t saved = path_.size();
    path_ += '.';
    path_ += std::to_string(index + 1);
    path_ += ".member";
    return saved;
  }

  // `value` null: the member is absent or null.
  void AddViolation(const Shape* shape, const json::value* value, std::string_view constraint) {
    if (Full()) return;
    std::string v = "Value";
    if (style_ == ServiceModel::ValueStyle::kJava && !shape->sensitive) {
      if (value == nullptr) {
        v += " null";
      } else {
        v += " '";
        v += RenderJava(*shape, *value);
        v += '\'';
      }
    }
    v += " at '";
    v += path_;
    v += "' failed to satisfy constraint: ";
    v += constraint;
    violations_.push_back(std::move(v));
  }

  void CheckLength(const Shape& s, double length, Failures* f) {
    if (s.max && length > *s.max) f->Add(s.max_text);
    if (s.min && length < *s.min) f->Add(s.min_text);
  }

  void CheckString(const Shape& s, std::string_view str, Failures* f) {
    if (s.min || s.max) CheckLength(s, static_cast<double>(Utf16Length(str)), f);
    if (s.regex && !FullMatch(s.regex.get(), str)) f->Add(s.pattern_text);
    if (!s.enum_values.empty() &&
        std::find(s.enum_values.begin(), s.enum_values.end(), str) == s.enum_values.end()) {
      f->Add(s.enum_text);
    }
  }

  // Deserializes scalar `v` as `s`; when `evaluate`, adds the constraints it breaks to *f.
  bool CheckScalar(const Shape& s, const json::value& v, bool evaluate, Failures* f) {
    switch (s.type) {
      case Type::kString:
        if (!v.is_string()) return Malformed(CannotConvert(v, "String"));
        if (evaluate) CheckString(s, v.get_string(), f);
        return true;
      case Type::kBlob:
        if (!v.is_string()) return Malformed(CannotConvert(v, "Blob"));
        scratch_.clear();
        if (!Base64Decode(v.get_string(), &scratch_))
          return Malformed(Base64Problem(v.get_string()));
        if (evaluate) CheckLength(s, static_cast<double>(scratch_.size()), f);
        return true;
      case Type::kBoolean:
        if (!v.is_bool()) return Malformed(CannotConvert(v, "Boolean"));
        return true;
      case Type::kInteger:
      case Type::kLong: {
        const bool is_int = s.type == Type::kInteger;
        if (!v.is_number()) return Malformed(CannotConvert(v, is_int ? "Integer" : "Long"));
        // Jackson truncates fractions; out-of-range numbers fail to deserialize.
        double n = v.is_double()  ? std::floor(v.get_double())
                   : v.is_int64() ? static_cast<double>(v.get_int64())
                                  : static_cast<double>(v.get_uint64());
        if (is_int ? (n < INT32_MIN || n > INT32_MAX) : (n < -0x1p63 || n >= 0x1p63)) {
          return Malformed("Numeric value (" + json::serialize(v) + ") out of range of " +
                           (is_int ? "int" : "long"));
        }
        if (evaluate) CheckValueRange(s, n, f);
        return true;
      }
      case Type::kFloat:
      case Type::kDouble:
        if (!v.is_number()) return Malformed(CannotConvert(v, "Double"));
        if (evaluate) CheckValueRange(s, v.to_number<double>(), f);
        return true;
      case Type::kTimestamp:  // AWS JSON 1.1 sends epoch seconds
        if (!v.is_number()) return Malformed(CannotConvert(v, "Date"));
        return true;
      default:
        return true;
    }
  }

  void CheckValueRange(const Shape& s, double n, Failures* f) {
    if (s.max && n > *s.max) f->Add(s.max_text);
    if (s.min && n < *s.min) f->Add(s.min_text);
  }

  bool VisitStructure(const Shape& s, const json::value& v) {
    if (!v.is_object())
      return Malformed(std::string(v.is_array() ? kStartOfList : kScalarForStructure));
    const json::object& obj = v.get_object();
    for (const Shape::Member& m : s.members) {
      const json::value* mv = obj.if_contains(m.name);
      size_t saved = Push(m.path_name);
      bool ok = true;
      if (mv == nullptr || mv->is_null()) {
        if (m.required) AddViolation(m.shape, nullptr, kNotNull);
      } else {
        ok = Visit(*m.shape, *mv);
      }
      path_.resize(saved);
      if (!ok) return false;
    }
    return true;
  }

  bool VisitList(const Shape& s, const json::value& v) {
    if (!v.is_array()) {
      return Malformed(v.is_object() ? std::string(kStartOfObject) : "Expected list or null");
    }
    const json::array& arr = v.get_array();
    Failures own;
    CheckLength(s, static_cast<double>(arr.size()), &own);
    for (int i = 0; i < own.count; ++i) AddViolation(&s, &v, *own.texts[i]);

    const Shape& element = *s.element;
    bool any_failed = false;  // scalar elements: one violation for the whole list
    for (size_t i = 0; i < arr.size(); ++i) {
      const json::value& e = arr[i];
      if (e.is_null() || !element.IsScalar()) {
        size_t saved = PushElement(i);
        bool ok = true;
        if (e.is_null()) {
          AddViolation(&element, nullptr, kNotNull);
        } else {
          ok = Visit(element, e);
        }
        path_.resize(saved);
        if (!ok) return false;
        continue;
      }
      Failures f;
      if (!CheckScalar(element, e, !any_failed && !Full(), &f)) return false;
      any_failed |= f.count > 0;
    }
    if (any_failed) AddViolation(&s, &v, s.aggregate_text);
    return true;
  }

  bool VisitMap(const Shape& s, const json::value& v) {
    if (!v.is_object()) {
      return Malformed(v.is_array() ? std::string(kStartOfList) : "Expected map or null");
    }
    const json::object& obj = v.get_object();
    Failures own;
    CheckLength(s, static_cast<double>(obj.size()), &own);
    for (int i = 0; i < own.count; ++i) AddViolation(&s, &v, *own.texts[i]);

    const Shape& value = *s.value;
    bool key_failed = false, value_failed = false;
    for (const auto& kv : obj) {
      if (!key_failed && !Full()) {
        Failures f;
        CheckString(*s.key, kv.key(), &f);
        key_failed = f.count > 0;
      }
      const json::value& e = kv.value();
      if (e.is_null()) {
        value_failed = true;
      } else if (value.IsScalar()) {
        Failures f;
        if (!CheckScalar(value, e, !value_failed && !Full(), &f)) return false;
        value_failed |= f.count > 0;
      } else {
        size_t saved = Push(kv.key());
        bool ok = Visit(value, e);
        path_.resize(saved);
        if (!ok) return false;
      }
    }
    if (key_failed) AddViolation(&s, &v, s.keys_text);
    if (value_failed) AddViolation(&s, &v, s.values_text);
    return true;
  }

  const ServiceModel::ValueStyle style_;
  std::string path_;
  std::vector<std::string> violations_;
  std::string malformed_;
  std::string scratch_;  // decoded blob, reused
};

std::optional<Type> ParseType(std::string_view t) {
  static const std::unordered_map<std::string_view, Type> kTypes = {
      {"structure", Type::kStructure}, {"list", Type::kList},           {"map", Type::kMap},
      {"string", Type::kString},       {"integer", Type::kInteger},     {"long", Type::kLong},
      {"float", Type::kFloat},         {"double", Type::kDouble},       {"boolean", Type::kBoolean},
      {"blob", Type::kBlob},           {"timestamp", Type::kTimestamp},
  };
  auto it = kTypes.find(t);
  if (it == kTypes.end()) return std::nullopt;
  return it->second;
}

std::optional<double> NumberField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return v->to_number<double>();
}

std::string LowerFirst(std::string_view s) {
  std::string out(s);
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z')
    out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

}  // namespace

ServiceModel::ServiceModel() = default;
ServiceModel::~ServiceModel() = default;

namespace {
const ServiceModel* ParseEmbedded(std::string_view json, const char* name) {
  auto parsed = ServiceModel::Parse(json);
  if (!parsed.ok()) {
    std::fprintf(stderr, "embedded %s model: %s\n", name, parsed.status().ToString().c_str());
    std::abort();
  }
  return std::move(parsed).value().release();  // lives as long as the process
}
}  // namespace

const ServiceModel& ServiceModel::Firehose() {
  static const ServiceModel* const model = ParseEmbedded(kFirehoseModelJson, "Firehose");
  return *model;
}

const ServiceModel& ServiceModel::Glue() {
  static const ServiceModel* const model = ParseEmbedded(kGlueModelJson, "Glue");
  return *model;
}

Result<std::unique_ptr<ServiceModel>> ServiceModel::Parse(std::string_view model_json) {
  boost::system::error_code ec;
  json::value doc = json::parse(model_json, ec);
  if (ec || !doc.is_object()) return Status::InvalidArgument("model is not a JSON object");
  const json::object* shapes =
      doc.get_object().if_contains("shapes") != nullptr ? doc.at("shapes").if_object() : nullptr;
  const json::object* operations = doc.get_object().if_contains("operations") != nullptr
                                       ? doc.at("operations").if_object()
                                       : nullptr;
  if (shapes == nullptr || operations == nullptr) {
    return Status::InvalidArgument("model lacks \"shapes\" or \"operations\"");
  }

  std::unique_ptr<ServiceModel> model(new ServiceModel());
  std::unordered_map<std::string_view, Shape*> by_name;
  for (const auto& kv : *shapes) {
    auto shape = std::make_unique<Shape>();
    shape->name = kv.key();
    by_name[kv.key()] = shape.get();
    model->shapes_.push_back(std::move(shape));
  }
  auto ref = [&](const json::value* v, const Shape** out) -> bool {
    const json::object* o = v ? v->if_object() : nullptr;
    const json::value* name = o ? o->if_contains("shape") : nullptr;
    if (name == nullptr || !name->is_string()) return false;
    auto it = by_name.find(name->get_string());
    if (it == by_name.end()) return false;
    *out = it->second;
    return true;
  };

  for (const auto& kv : *shapes) {
    Shape& s = *by_name[kv.key()];
    const json::object* def = kv.value().if_object();
    const json::value* type = def ? def->if_contains("type") : nullptr;
    std::optional<Type> t =
        type && type->is_string() ? ParseType(type->get_string()) : std::nullopt;
    if (!t) return Status::InvalidArgument("shape " + s.name + ": unknown type");
    s.type = *t;
    s.min = NumberField(*def, "min");
    s.max = NumberField(*def, "max");
    if (const json::value* v = def->if_contains("sensitive"))
      s.sensitive = v->is_bool() && v->get_bool();

    const bool numeric = s.type == Type::kInteger || s.type == Type::kLong ||
                         s.type == Type::kFloat || s.type == Type::kDouble;
    const char* what = numeric ? "value" : "length";
    if (s.max)
      s.max_text = std::string("Member must have ") + what + " less than or equal to " +
                   FormatNumber(*s.max);
    if (s.min)
      s.min_text = std::string("Member must have ") + what + " greater than or equal to " +
                   FormatNumber(*s.min);

    if (const json::value* e = def->if_contains("enum"); e && e->is_array()) {
      s.enum_text = "Member must satisfy enum value set: [";
      for (const json::value& ev : e->get_array()) {
        if (!ev.is_string()) return Status::InvalidArgument("shape " + s.name + ": bad enum");
        if (!s.enum_values.empty()) s.enum_text += ", ";
        s.enum_values.emplace_back(ev.get_string());
        s.enum_text += ev.get_string();
      }
      s.enum_text += ']';
    }
    if (const json::value* p = def->if_contains("pattern"); p && p->is_string()) {
      std::string_view java(p->get_string());
      std::string translated = TranslateJavaRegex(java);
      int err = 0;
      PCRE2_SIZE offset = 0;
      s.regex.reset(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()),
                                  translated.size(), PCRE2_UTF, &err, &offset, nullptr));
      if (!s.regex) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        return Status::InvalidArgument("shape " + s.name +
                                       ": pattern: " + reinterpret_cast<const char*>(msg));
      }
      s.pattern_text = "Member must satisfy regular expression pattern: " + std::string(java);
    }

    switch (s.type) {
      case Type::kStructure: {
        std::vector<std::string_view> required;
        if (const json::value* r = def->if_contains("required"); r && r->is_array()) {
          for (const json::value& name : r->get_array()) {
            if (name.is_string()) required.push_back(name.get_string());
          }
        }
        if (const json::value* ms = def->if_contains("members"); ms && ms->is_object()) {
          for (const auto& m : ms->get_object()) {
            Shape::Member member;
            member.name = m.key();
            member.path_name = LowerFirst(m.key());
            member.required =
                std::find(required.begin(), required.end(), m.key()) != required.end();
            if (!ref(&m.value(), &member.shape)) {
              return Status::InvalidArgument("shape " + s.name + "." + member.name +
                                             ": bad reference");
            }
            s.members.push_back(std::move(member));
          }
        }
        SortInJavaHashMapOrder(&s.members);
        break;
      }
      case Type::kList:
        if (!ref(def->if_contains("member"), &s.element)) {
          return Status::InvalidArgument("list " + s.name + ": bad member reference");
        }
        break;
      case Type::kMap:
        if (!ref(def->if_contains("key"), &s.key) || !ref(def->if_contains("value"), &s.value)) {
          return Status::InvalidArgument("map " + s.name + ": bad key or value reference");
        }
        break;
      default:
        break;
    }
  }
  // These need the referenced shapes' own types and texts, all set above.
  for (auto& s : model->shapes_) {
    if (s->type == Type::kList) {
      s->aggregate_text = "Member must satisfy constraint: " + s->element->ConstraintSet();
    } else if (s->type == Type::kMap) {
      if (s->key->type != Type::kString) {
        return Status::InvalidArgument("map " + s->name + ": keys are not strings");
      }
      s->keys_text = "Map keys must satisfy constraint: " + s->key->ConstraintSet();
      s->values_text = "Map value must satisfy constraint: " + s->value->ConstraintSet();
    }
  }

  for (const auto& kv : *operations) {
    const json::object* op = kv.value().if_object();
    const Shape* input = nullptr;
    if (op != nullptr && op->if_contains("input") != nullptr) {
      if (!ref(op->if_contains("input"), &input) || input->type != Type::kStructure) {
        return Status::InvalidArgument(std::string("operation ") + std::string(kv.key()) +
                                       ": bad input shape");
      }
    }
    model->operation_inputs_.emplace(kv.key(), input);
  }
  return model;
}

bool ServiceModel::HasOperation(std::string_view op) const {
  return operation_inputs_.find(op) != operation_inputs_.end();
}

Status ServiceModel::ValidateInput(std::string_view op, const json::value& input,
                                    ValueStyle style) const {
  auto it = operation_inputs_.find(op);
  if (it == operation_inputs_.end())
    return Status::NotFound("unknown operation " + std::string(op));
  if (!input.is_null() && !input.is_object()) {
    return Status::Malformed(std::string(input.is_array() ? kStartOfList : kScalarForStructure));
  }
  if (it->second == nullptr) return Status::Ok();
  static const json::value kEmpty = json::object();
  Validation validation(style);
  validation.Visit(*it->second, input.is_null() ? kEmpty : input);
  return validation.Finish();
}

}  // namespace hydrant::api
