// MetadataExtraction implementation over libjq 1.6.
#include "processor/metadata_extraction_processor.h"

extern "C" {
#include <jq.h>
#include <jv.h>
}

#include "processor/sub_records.h"

namespace hydrant::processor {
namespace {

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

MetadataExtractionProcessor::~MetadataExtractionProcessor() { jq_teardown(&jq_); }

bool MetadataExtractionProcessor::Extract(std::string_view json,
                                          std::map<std::string, std::string>* keys,
                                          std::string* error) {
  jv input = jv_parse_sized(json.data(), static_cast<int>(json.size()));
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
