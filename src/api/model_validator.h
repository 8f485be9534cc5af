// ServiceModel: an AWS JSON service's API model (botocore service-2.json; Firehose's, and the part
// of Glue's that Hydrant serves), checking request bodies against it the way the services'
// framework does before any handler runs.
#pragma once

#include <boost/json/value.hpp>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hydrant::api {

// The model of one AWS JSON service: its operations and shapes, with every `pattern` compiled
// once. Immutable after Parse(); all const methods are safe to call from any thread.
//
// ValidateInput() reproduces the service's two input failures:
//  - deserialization (SerializationException, Status::Malformed): a member of the wrong JSON
//    type, a blob that is not canonical padded base64, an integer out of range. Any of these
//    anywhere in the body wins over constraint violations, as deserialization runs first.
//  - constraints (ValidationException, Status::Validation), with the service's message:
//      "1 validation error detected: Value at 'records.1.member.data' failed to satisfy
//       constraint: Member must have length less than or equal to 1024000"
//      "N validation errors detected: <violation>; <violation>"
//    Paths are lowerCamelCase member names ("roleARN", "s3BackupMode") joined by '.', list
//    elements "<list>.<1-based index>.member". At most 10 violations are reported and N
//    counts only those (the service stops collecting at 10).
//
// Rules, following the service's framework (Coral) as observed:
//  - Members are visited in Java HashMap iteration order of their lowerCamelCase names,
//    depth first; that is the order the service lists violations in (checked against
//    probed multi-violation messages for ParquetSerDe, OrcSerDe, SchemaConfiguration).
//  - Unknown members are ignored; a JSON null is an absent member.
//  - Per value: max then min (length or value), then pattern, then enum.
//  - String lengths count UTF-16 code units (Java's String.length()); blob lengths count
//    decoded bytes; list and map lengths count entries.
//  - Patterns are Java regular expressions and must match the whole value (Matcher.matches());
//    \d \w \s stay ASCII as in Java; '.' excludes Java's line terminators.
//  - A list of scalars that has any bad element gets one violation at the list,
//    "Member must satisfy constraint: [<every constraint of the element shape>]"; maps get
//    "Map keys must satisfy constraint: [...]" / "Map value must satisfy constraint: [...]".
//  - A null list element is reported as "Member must not be null" at '<list>.<i>.member'
//    (the service would pass it on; no handler should have to cope with it).
//  - Enum value sets are printed in model order. (The service's order differs and looks like
//    the iteration order of a hashed set; it could not be reproduced from the model.)
class ServiceModel {
 public:
  // How the offending value appears in a violation. kOmitted is today's Firehose
  // ("Value at 'deliveryStreamName' failed ..."; seen 2024 and later). kJava is the older
  // form ("Value 'bad name!' at ...", "Value null at ...", blobs as
  // 'java.nio.HeapByteBuffer[pos=0 lim=N cap=N]', structures as
  // 'com.amazonaws.firehose.v20150804.Record@<hash>'); sensitive shapes stay omitted.
  enum class ValueStyle { kOmitted, kJava };

  // The models embedded at build time: Firehose 2015-08-04 (src/api/firehose_model.json) and
  // the part of Glue 2017-03-31 Hydrant serves (src/api/glue_model.json). Parsed on first use;
  // aborts if an embedded copy does not parse (a build defect).
  static const ServiceModel& Firehose();
  static const ServiceModel& Glue();

  // Builds a model from botocore service-2.json text. InvalidArgument if the text is not
  // such a model (unknown shape type, dangling shape reference, pattern PCRE2 rejects).
  static Result<std::unique_ptr<ServiceModel>> Parse(std::string_view model_json);

  ~ServiceModel();
  ServiceModel(const ServiceModel&) = delete;
  ServiceModel& operator=(const ServiceModel&) = delete;

  bool HasOperation(std::string_view op) const;

  // Validates `input` (the parsed request body; null counts as {}) against the input shape
  // of operation `op` ("CreateDeliveryStream"). Returns Ok, Status::Validation(full service
  // message), Status::Malformed(short reason), or NotFound for an unknown operation.
  Status ValidateInput(std::string_view op, const boost::json::value& input,
                       ValueStyle style = ValueStyle::kOmitted) const;

  struct Shape;  // defined in model_validator.cc

 private:
  ServiceModel();

  std::vector<std::unique_ptr<Shape>> shapes_;
  std::map<std::string, const Shape*, std::less<>> operation_inputs_;  // null: no input shape
};

}  // namespace hydrant::api
