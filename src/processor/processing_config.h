// ProcessingConfiguration: validates a stream's processor list as CreateDeliveryStream /
// UpdateDestination do, and builds the processor chain in the service's processing order.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "processor/processor.h"

namespace hydrant::processor {

// Builds the Lambda processor from its parameters (ParameterName -> ParameterValue, exactly
// as configured: already validated, defaults NOT filled in).
using LambdaProcessorFactory =
    std::function<Result<std::unique_ptr<Processor>>(const std::map<std::string, std::string>&)>;

struct ChainContext {
  LambdaProcessorFactory lambda_factory;  // required when the configuration has a Lambda
  // True for a Kinesis Data Streams source: KPL aggregates are split before any processor,
  // whether or not RecordDeAggregation is configured.
  bool kpl_deaggregation = false;
};

struct ValidationContext {
  // Member path used in model-constraint messages, e.g.
  // "extendedS3DestinationUpdate.processingConfiguration".
  std::string member_path = "extendedS3DestinationConfiguration.processingConfiguration";
  // DynamicPartitioningConfiguration.Enabled of the destination when known: MetadataExtraction
  // is rejected when it is false. nullopt skips that check (the caller does it).
  std::optional<bool> dynamic_partitioning_enabled;
};

// Checks `processing_configuration` ({"Enabled": bool, "Processors": [{"Type": "...",
// "Parameters": [{"ParameterName": "...", "ParameterValue": "..."}]}]}) in three layers:
//  1. JSON types (kMalformed): Enabled not a boolean, Processors not an array, a name or value
//     not a string, ...
//  2. Model constraints (kValidation), all violations joined in the service's format: "N
//     validation error(s) detected: Value at '<path>.processors.1.member.type' failed to
//     satisfy constraint: Member must satisfy enum value set: [...]; ...": Type and
//     ParameterName enums and nullness, ParameterValue length 1..5120 and non-blank pattern.
//  3. Service rules (kInvalidArgument, first violation), unless Enabled is false: a
//     processor type appears at most once; each type accepts only its parameters, once each;
//     required parameters (Lambda: LambdaArn; MetadataExtraction: MetadataExtractionQuery and
//     JsonParsingEngine; RecordDeAggregation: SubRecordType, plus Delimiter when DELIMITED;
//     CloudWatchLogProcessing: DataMessageExtraction); value rules (NumberOfRetries integer
//     0-300, BufferSizeInMBs 0.2-3, BufferIntervalInSeconds integer 0-900, JsonParsingEngine
//     JQ-1.6, a jq query that compiles, SubRecordType JSON|DELIMITED, Delimiter base64 of a
//     non-empty string and only with DELIMITED, CompressionFormat GZIP, DataMessageExtraction
//     true|false); CloudWatchLogProcessing requires Decompression; MetadataExtraction requires
//     dynamic partitioning (see ValidationContext).
// A missing Enabled counts as true: processors listed without it run (stream_config.cc reads
// it the same way), rather than being silently skipped.
Status ValidateProcessingConfiguration(const boost::json::object& processing_configuration,
                                       const ValidationContext& ctx = {});

// Validates (default ValidationContext) and builds the chain. Processors run in the service's
// fixed order whatever their order in the list: [KPL de-aggregation (ctx)] → Decompression →
// CloudWatchLogProcessing → RecordDeAggregation → Lambda → MetadataExtraction →
// AppendDelimiterToRecord. Enabled false yields an empty chain (plus KPL de-aggregation
// when ctx asks for it).
// DataMessageExtraction "false" adds no CloudWatchLogProcessing step.
Result<std::vector<std::unique_ptr<Processor>>> BuildChain(
    const boost::json::object& processing_configuration, const ChainContext& ctx);

// ProcessingConfiguration as DescribeDeliveryStream shows it: the configuration as given, with
// the defaults the service fills in appended to each Lambda processor's parameters when absent,
// in the service's order: NumberOfRetries "3", RoleArn (the stream's `role_arn`),
// BufferSizeInMBs "1", BufferIntervalInSeconds "60".
boost::json::object DescribeProcessingConfiguration(const boost::json::object& processing_configuration,
                                                    std::string_view role_arn);

}  // namespace hydrant::processor
