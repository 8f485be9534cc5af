// MetadataExtraction implementation over libjq 1.6.
#include "processor/metadata_extraction_processor.h"

extern "C" {
#include <jq.h>
#include <jv.h>
}

#include <simdjson.h>

#include "processor/sub_records.h"

namespace hydrant::processor {
namespace {

// jq's own parser reads a character at a time and was most of the cost of partitioning 1 KiB
// records; simdjson builds the same jv value several times faster. Documents simdjson refuses
// (invalid UTF-8, NaN, trailing values...) go to jq's parser, so what jq accepts and the errors
// it reports stay jq's.
bool ToJv(simdjson::dom::element element, jv* out) {
  using simdjson::dom::element_type;
  switch (element.type()) {
    case element_type::OBJECT: {
      jv object = jv_object();
      simdjson::dom::object members;
      if (element.get_object().get(members) != simdjson::SUCCESS) return false;
      for (auto [key, value] : members) {
        jv member;
        if (!ToJv(value, &member)) {
          jv_free(object);
          return false;
        }
        object = jv_object_set(object, jv_string_sized(key.data(), static_cast<int>(key.size())), member);
      }
      *out = object;
      return true;
    }
    case element_type::ARRAY: {
      jv array = jv_array();
      simdjson::dom::array items;
      if (element.get_array().get(items) != simdjson::SUCCESS) return false;
      for (simdjson::dom::element value : items) {
        jv item;
        if (!ToJv(value, &item)) {
          jv_free(array);
          return false;
        }
        array = jv_array_append(array, item);
      }
      *out = array;
      return true;
    }
    case element_type::STRING: {
      std::string_view text;
      if (element.get_string().get(text) != simdjson::SUCCESS) return false;
      *out = jv_string_sized(text.data(), static_cast<int>(text.size()));
      return true;
    }
    // jq 1.6 holds every number as a double; the conversions below round as its parser does.
    case element_type::INT64:
      *out = jv_number(static_cast<double>(element.get_int64().value_unsafe()));
      return true;
    case element_type::UINT64:
      *out = jv_number(static_cast<double>(element.get_uint64().value_unsafe()));
      return true;
    case element_type::DOUBLE:
      *out = jv_number(element.get_double().value_unsafe());
      return true;
    case element_type::BOOL:
      *out = element.get_bool().value_unsafe() ? jv_true() : jv_false();
      return true;
    case element_type::NULL_VALUE:
      *out = jv_null();
      return true;
  }
  return false;
}

// True when `json` may hold the integer -0, which simdjson reads as 0 and jq as -0.
bool MayHoldNegativeZero(std::string_view json) {
  for (size_t at = json.find("-0"); at != std::string_view::npos; at = json.find("-0", at + 1)) {
    if (at + 2 == json.size() || std::string_view(",}] \t\r\n").find(json[at + 2]) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

jv ParseJson(simdjson::dom::parser& parser, std::string_view json) {
  simdjson::dom::element root;
  jv value;
  if (!MayHoldNegativeZero(json) &&
      parser.parse(json.data(), json.size()).get(root) == simdjson::SUCCESS && ToJv(root, &value)) {
    return value;
  }
  return jv_parse_sized(json.data(), static_cast<int>(json.size()));
}

void CollectError(void* data, jv msg) {
  auto* errors = static_cast<std::string*>(data);
  if (!errors->empty()) errors->append("; ");
  if (jv_get_kind(msg) == JV_KIND_STRING) {
    errors->append(jv_string_value(msg));
  } else {
    jv dumped = jv_dump_string(jv_copy(msg), 0);
    errors->append(jv_string_value(dumped));
    jv_free(dumped);
  }
  jv_free(msg);
}

// jq quotes the whole input in parse errors; error records carry the record already.
constexpr size_t kMaxErrorMessage = 512;

// Renders an invalid jv's message (and frees it), cut to kMaxErrorMessage bytes.
std::string InvalidMessage(jv invalid) {
  jv msg = jv_invalid_get_msg(invalid);
  std::string text;
  if (jv_get_kind(msg) == JV_KIND_STRING) {
    text = jv_string_value(msg);
  } else if (jv_get_kind(msg) != JV_KIND_NULL) {
    jv dumped = jv_dump_string(jv_copy(msg), 0);
    text = jv_string_value(dumped);
    jv_free(dumped);
  }
  jv_free(msg);
  if (text.size() > kMaxErrorMessage) text.resize(kMaxErrorMessage);
  return text;
}

}  // namespace

Result<std::unique_ptr<MetadataExtractionProcessor>> MetadataExtractionProcessor::Create(
    std::string_view query) {
  jq_state* jq = jq_init();
  if (!jq) return Status::Internal("jq_init failed");
  auto errors = std::make_unique<std::string>();
  jq_set_error_cb(jq, CollectError, errors.get());
  std::string q(query);
  if (!jq_compile(jq, q.c_str())) {
    std::string message = *errors;
    jq_teardown(&jq);
    return Status::InvalidArgument("MetadataExtractionQuery is not a valid jq 1.6 expression: " +
                                   message);
  }
  return std::unique_ptr<MetadataExtractionProcessor>(
      new MetadataExtractionProcessor(jq, std::move(errors)));
}

MetadataExtractionProcessor::MetadataExtractionProcessor(jq_state* jq, std::unique_ptr<std::string> errors)
    : jq_(jq), errors_(std::move(errors)), parser_(std::make_unique<simdjson::dom::parser>()) {}

MetadataExtractionProcessor::~MetadataExtractionProcessor() { jq_teardown(&jq_); }

bool MetadataExtractionProcessor::Extract(std::string_view json,
                                          std::map<std::string, std::string>* keys,
                                          std::string* error) {
  jv input = ParseJson(*parser_, json);
  if (!jv_is_valid(input)) {
    *error = "Non JSON record provided: " + InvalidMessage(input);
    return false;
  }
  errors_->clear();
  jq_start(jq_, input, 0);
  // Only the first output counts; the next jq_start resets the program's state.
  jv result = jq_next(jq_);
  if (!jv_is_valid(result)) {
    std::string msg = jv_invalid_has_msg(jv_copy(result)) ? InvalidMessage(result)
                                                          : (jv_free(result), std::string());
    *error = "Failed to execute the MetadataExtractionQuery" +
             (msg.empty() ? std::string(": no output") : ": " + msg);
    return false;
  }
  if (jv_get_kind(result) != JV_KIND_OBJECT) {
    jv_free(result);
    *error = "MetadataExtractionQuery did not produce a JSON object";
    return false;
  }
  std::map<std::string, std::string> extracted;
  bool ok = true;
  jv_object_foreach(result, key, value) {
    if (!ok) {
      jv_free(key);
      jv_free(value);
      continue;
    }
    std::string name = jv_string_value(key);
    jv_kind kind = jv_get_kind(value);
    if (kind == JV_KIND_STRING) {
      extracted[name] = jv_string_value(value);
    } else if (kind == JV_KIND_NUMBER) {
      jv dumped = jv_dump_string(jv_copy(value), 0);
      extracted[name] = jv_string_value(dumped);
      jv_free(dumped);
    } else {
      *error = "Partition key '" + name + "' is " + jv_kind_name(kind) + ", not a string or number";
      ok = false;
    }
    jv_free(key);
    jv_free(value);
  }
  jv_free(result);
  if (!ok) return false;
  if (extracted.size() > kMaxPartitionKeys) {
    *error = "MetadataExtractionQuery produced more than 50 partition keys";
    return false;
  }
  for (auto& [k, v] : extracted) (*keys)[k] = std::move(v);
  return true;
}

Status MetadataExtractionProcessor::Process(RecordBatch& batch) {
  std::string error;
  for (Record& record : batch) {
    if (record.result != RecordResult::kOk) continue;
    std::map<std::string, std::string> keys = record.partition_keys;
    if (!Extract(record.data, &keys, &error)) {
      FailRecord(record, kMetadataExtractionFailedCode, error);
      continue;
    }
    record.partition_keys = std::move(keys);
  }
  return Status::Ok();
}

Status ValidateJqQuery(std::string_view query) {
  auto compiled = MetadataExtractionProcessor::Create(query);
  return compiled.ok() ? Status::Ok() : compiled.status();
}

}  // namespace hydrant::processor
