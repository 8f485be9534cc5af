// The S3 kind's operations: s3_config.cc's rules, s3_delivery.cc's delivery.
#include "destination/s3/s3_kind.h"

#include "destination/s3/s3_delivery.h"

namespace hydrant::destination::s3 {
namespace {

const S3Destination& Typed(const ParsedDestination& parsed) {
  return *static_cast<const S3Destination*>(parsed.typed.get());
}

Result<ParsedDestination> ParseS3(const boost::json::object& stored) {
  auto s3 = Parse(stored);
  if (!s3.ok()) return s3.status();
  ParsedDestination parsed{.kind = &kKind, .buffering = s3->buffering, .processing = s3->processing, .s3 = *s3, .typed = nullptr};
  parsed.typed = std::make_shared<const S3Destination>(std::move(*s3));
  return parsed;
}

}  // namespace

const KindOperations kKind = {
    .stored_member = "ExtendedS3DestinationConfiguration",
    .metrics_name = "S3",
    .from_create = [](const boost::json::object& given, std::string_view member) {
      return FromCreateRequest(given, /*legacy=*/member == "S3DestinationConfiguration");
    },
    .parse = ParseS3,
    .merge = [](const boost::json::object& stored, const boost::json::object& update, std::string_view member) {
      return MergeUpdate(stored, update, /*legacy=*/member == "S3DestinationUpdate");
    },
    .check_change = [](const ParsedDestination& before, const ParsedDestination& after) {
      return CheckChange(Typed(before), Typed(after));
    },
    .describe = [](const boost::json::object& stored, const ParsedDestination& parsed) {
      return Describe(stored, Typed(parsed));
    },
    .build = [](const ParsedDestination& parsed, const BuildContext& context) -> Result<std::unique_ptr<Destination>> {
      return std::unique_ptr<Destination>(new S3Delivery(context.objects, Typed(parsed)));
    },
};

}  // namespace hydrant::destination::s3
