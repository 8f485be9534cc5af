// Fuzzes what a Firehose control-plane request goes through before it touches the catalog: the
// JSON body parse, the model validator for the operation the first byte picks, and for
// CreateDeliveryStream / UpdateDestination the stream configuration built from the body.
// Checks that a configuration that was accepted survives its own persisted form.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/model_validator.h"
#include "stream/stream_config.h"

namespace {

namespace json = boost::json;
using hydrant::api::ServiceModel;
using hydrant::stream::StreamConfig;

constexpr std::string_view kOperations[] = {
    "CreateDeliveryStream", "DeleteDeliveryStream", "DescribeDeliveryStream",
    "ListDeliveryStreams", "ListTagsForDeliveryStream", "PutRecord", "PutRecordBatch",
    "StartDeliveryStreamEncryption", "StopDeliveryStreamEncryption", "TagDeliveryStream",
    "UntagDeliveryStream", "UpdateDestination"};

// A stream with a processor chain, partitioning and a backup, so updates have something to merge.
constexpr std::string_view kBaseStream = R"({
  "DeliveryStreamName": "base", "DeliveryStreamType": "DirectPut",
  "ExtendedS3DestinationConfiguration": {
    "RoleARN": "arn:aws:iam::123456789012:role/r", "BucketARN": "arn:aws:s3:::bucket",
    "Prefix": "data/!{partitionKeyFromQuery:id}/", "ErrorOutputPrefix": "err/!{firehose:error-output-type}/",
    "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60},
    "DynamicPartitioningConfiguration": {"Enabled": true},
    "ProcessingConfiguration": {"Enabled": true, "Processors": [
      {"Type": "MetadataExtraction", "Parameters": [
        {"ParameterName": "MetadataExtractionQuery", "ParameterValue": "{id: .id}"},
        {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]}]}}})";

void CheckRoundTrip(const StreamConfig& config) {
  auto reread = StreamConfig::FromJson(config.ToJson());
  if (!reread.ok()) {
    fprintf(stderr, "accepted config does not re-read: %s\n%s\n", reread.status().ToString().c_str(),
            json::serialize(config.ToJson()).c_str());
    abort();
  }
  if (json::serialize(reread->DescribeDestination()) != json::serialize(config.DescribeDestination())) {
    fprintf(stderr, "persisted config describes differently\n");
    abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view op = kOperations[data[0] % std::size(kOperations)];
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const ServiceModel& model = ServiceModel::Firehose();

  json::error_code ec;
  json::value input = json::parse(body, ec);
  if (ec) return 0;
  // Both value styles render offending values differently; both must cope with any value.
  hydrant::Status valid = model.ValidateInput(op, input, ServiceModel::ValueStyle::kJava);
  hydrant::Status omitted = model.ValidateInput(op, input);
  if (valid.code() != omitted.code()) abort();
  if (!valid.ok() || !input.is_object()) return 0;

  if (op == "CreateDeliveryStream") {
    auto config = StreamConfig::FromCreateRequest(input.as_object());
    if (config.ok()) CheckRoundTrip(*config);
  } else if (op == "UpdateDestination") {
    static const StreamConfig* base = [] {
      auto c = StreamConfig::FromCreateRequest(json::parse(kBaseStream).as_object());
      if (!c.ok()) abort();
      return new StreamConfig(std::move(*c));
    }();
    auto updated = base->ApplyUpdate(input.as_object());
    if (updated.ok()) CheckRoundTrip(*updated);
  }
  return 0;
}
