// ProcessingConfiguration validation and chain construction.
#include "processor/processing_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <set>

#include "common/base64.h"
#include "processor/append_delimiter_processor.h"
#include "processor/cloudwatch_log_processor.h"
#include "processor/decompression_processor.h"
#include "processor/metadata_extraction_processor.h"
#include "processor/record_deaggregation_processor.h"

namespace hydrant::processor {
namespace {

// Enum members in the order the service prints them in validation messages.
constexpr const char* kTypes[] = {"Decompression",           "Lambda",
                                  "RecordDeAggregation",     "MetadataExtraction",
                                  "AppendDelimiterToRecord", "CloudWatchLogProcessing"};
constexpr const char* kParameterNames[] = {"DataMessageExtraction",
                                           "NumberOfRetries",
                                           "Delimiter",
                                           "RoleArn",
                                           "JsonParsingEngine",
                                           "SubRecordType",
                                           "MetadataExtractionQuery",
                                           "BufferIntervalInSeconds",
                                           "LambdaArn",
                                           "BufferSizeInMBs",
                                           "CompressionFormat"};
constexpr size_t kMaxParameterValue = 5120;

struct ProcessorSpec {
  std::string type;
  std::vector<std::pair<std::string, std::string>> parameters;  // in request order
};

struct Parsed {
  bool enabled = true;  // an absent Enabled counts as true (as the stream stage reads it)
  std::vector<ProcessorSpec> processors;
};

template <size_t N>
bool InSet(const char* const (&set)[N], std::string_view v) {
  return std::find(std::begin(set), std::end(set), v) != std::end(set);
}

template <size_t N>
std::string SetText(const char* const (&set)[N]) {
  std::string out = "[";
  for (size_t i = 0; i < N; ++i) out += (i ? ", " : "") + std::string(set[i]);
  return out + "]";
}

// True when `v` matches the model pattern ^(?!\s*$).+ ('.' excludes line terminators).
bool MatchesValuePattern(std::string_view v) {
  if (v.find_first_of("\n\r") != std::string_view::npos) return false;
  return v.find_first_not_of(" \t\f\v") != std::string_view::npos;
}

// Layers 1 and 2: JSON types, then model constraints.
Result<Parsed> ParseAndCheckModel(const boost::json::object& config, const std::string& path) {
  Parsed parsed;
  if (const auto* enabled = config.if_contains("Enabled")) {
    if (!enabled->is_bool())
      return Status::Malformed("ProcessingConfiguration.Enabled must be a boolean");
    parsed.enabled = enabled->get_bool();
  }
  const auto* processors = config.if_contains("Processors");
  if (!processors || processors->is_null()) return parsed;
  if (!processors->is_array())
    return Status::Malformed("ProcessingConfiguration.Processors must be a list");
  std::vector<std::string> violations;
  size_t p_index = 0;
  for (const auto& p : processors->get_array()) {
    ++p_index;
    if (!p.is_object()) return Status::Malformed("Processor must be an object");
    ProcessorSpec spec;
    const std::string p_path = fmt::format("{}.processors.{}.member", path, p_index);
    const auto* type = p.get_object().if_contains("Type");
    if (!type || type->is_null()) {
      violations.push_back(fmt::format(
          "Value at '{}.type' failed to satisfy constraint: Member must not be null", p_path));
    } else if (!type->is_string()) {
      return Status::Malformed("Processor.Type must be a string");
    } else {
      spec.type = std::string(type->get_string());
      if (!InSet(kTypes, spec.type)) {
        violations.push_back(
            fmt::format("Value at '{}.type' failed to satisfy constraint: Member must satisfy enum "
                        "value set: {}",
                        p_path, SetText(kTypes)));
      }
    }
    if (const auto* params = p.get_object().if_contains("Parameters");
        params && !params->is_null()) {
      if (!params->is_array()) return Status::Malformed("Processor.Parameters must be a list");
      size_t q_index = 0;
      for (const auto& q : params->get_array()) {
        ++q_index;
        if (!q.is_object()) return Status::Malformed("ProcessorParameter must be an object");
        const std::string q_path = fmt::format("{}.parameters.{}.member", p_path, q_index);
        const auto* name = q.get_object().if_contains("ParameterName");
        const auto* value = q.get_object().if_contains("ParameterValue");
        if ((name && !name->is_null() && !name->is_string()) ||
            (value && !value->is_null() && !value->is_string())) {
          return Status::Malformed("ProcessorParameter members must be strings");
        }
        std::string name_s, value_s;
        if (!name || name->is_null()) {
          violations.push_back(fmt::format(
              "Value at '{}.parameterName' failed to satisfy constraint: Member must not be null",
              q_path));
        } else {
          name_s = std::string(name->get_string());
          if (!InSet(kParameterNames, name_s)) {
            violations.push_back(
                fmt::format("Value at '{}.parameterName' failed to satisfy constraint: Member must "
                            "satisfy enum value set: {}",
                            q_path, SetText(kParameterNames)));
          }
        }
        if (!value || value->is_null()) {
          violations.push_back(fmt::format(
              "Value at '{}.parameterValue' failed to satisfy constraint: Member must not be null",
              q_path));
        } else {
          value_s = std::string(value->get_string());
          if (value_s.empty()) {
            violations.push_back(
                fmt::format("Value at '{}.parameterValue' failed to satisfy constraint: Member "
                            "must have length greater than or equal to 1",
                            q_path));
          } else if (value_s.size() > kMaxParameterValue) {
            violations.push_back(
                fmt::format("Value at '{}.parameterValue' failed to satisfy constraint: Member "
                            "must have length less than or equal to 5120",
                            q_path));
          }
          if (!MatchesValuePattern(value_s)) {
            violations.push_back(
                fmt::format("Value at '{}.parameterValue' failed to satisfy constraint: Member "
                            "must satisfy regular expression pattern: ^(?!\\s*$).+",
                            q_path));
          }
        }
        spec.parameters.emplace_back(std::move(name_s), std::move(value_s));
      }
    }
    parsed.processors.push_back(std::move(spec));
  }
  if (!violations.empty()) {
    std::string msg = fmt::format("{} validation error{} detected: ", violations.size(),
                                  violations.size() == 1 ? "" : "s");
    for (size_t i = 0; i < violations.size(); ++i) msg += (i ? "; " : "") + violations[i];
    return Status::Validation(std::move(msg));
  }
  return parsed;
}

// Parameters each type accepts, and which of them are required.
struct TypeRule {
  std::vector<std::string> allowed;
  std::vector<std::string> required;
};

const TypeRule& RuleFor(const std::string& type) {
  static const std::map<std::string, TypeRule> kRules = {
      {"Lambda",
       {{"LambdaArn", "NumberOfRetries", "RoleArn", "BufferSizeInMBs", "BufferIntervalInSeconds"},
        {"LambdaArn"}}},
      {"MetadataExtraction",
       {{"MetadataExtractionQuery", "JsonParsingEngine"},
        {"MetadataExtractionQuery", "JsonParsingEngine"}}},
      {"RecordDeAggregation", {{"SubRecordType", "Delimiter"}, {"SubRecordType"}}},
      {"AppendDelimiterToRecord", {{"Delimiter"}, {}}},
      {"Decompression", {{"CompressionFormat"}, {}}},
      {"CloudWatchLogProcessing", {{"DataMessageExtraction"}, {"DataMessageExtraction"}}},
  };
  return kRules.at(type);
}

bool ParseInt(std::string_view s, long long* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool ParseDecimal(std::string_view s, double* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// `compile_query` false skips compiling the jq query (BuildChain compiles it once anyway;
// jq 1.6 spends tens of milliseconds compiling its builtins).
Status CheckValue(const std::string& type, const std::string& name, const std::string& value,
                  const std::map<std::string, std::string>& params, bool compile_query) {
  auto invalid = [&](const std::string& why) {
    return Status::InvalidArgument(
        fmt::format("Invalid value '{}' for processor parameter {} of processor type {}: {}", value,
                    name, type, why));
  };
  long long n = 0;
  double d = 0;
  if (name == "NumberOfRetries") {
    if (!ParseInt(value, &n) || n < 0 || n > 300)
      return invalid("must be an integer between 0 and 300");
  } else if (name == "BufferSizeInMBs") {
    if (!ParseDecimal(value, &d) || d < 0.2 || d > 3)
      return invalid("must be a number between 0.2 and 3");
  } else if (name == "BufferIntervalInSeconds") {
    if (!ParseInt(value, &n) || n < 0 || n > 900)
      return invalid("must be an integer between 0 and 900");
  } else if (name == "JsonParsingEngine") {
    if (value != "JQ-1.6")
      return Status::InvalidArgument(
          "MetaDataExtraction JSON Parsing Engine has to be one of JQ-1.6");
  } else if (name == "MetadataExtractionQuery") {
    if (compile_query) return ValidateJqQuery(value);
  } else if (name == "SubRecordType") {
    if (value != "JSON" && value != "DELIMITED") return invalid("must be one of JSON, DELIMITED");
  } else if (name == "Delimiter" && type == "RecordDeAggregation") {
    auto sub = params.find("SubRecordType");
    if (sub == params.end() || sub->second != "DELIMITED") {
      return Status::InvalidArgument(
          "Delimiter can only be specified when SubRecordType is DELIMITED");
    }
    std::string decoded;
    if (!Base64Decode(value, &decoded) || decoded.empty())
      return invalid("must be a base64-encoded non-empty string");
  } else if (name == "CompressionFormat") {
    if (value != "GZIP") return invalid("must be GZIP");
  } else if (name == "DataMessageExtraction") {
    if (value != "true" && value != "false") return invalid("must be true or false");
  }
  return Status::Ok();
}

std::map<std::string, std::string> ParamMap(const ProcessorSpec& spec) {
  return {spec.parameters.begin(), spec.parameters.end()};
}

// Layer 3: the service's rules.
Status CheckServiceRules(const Parsed& parsed, const ValidationContext& ctx, bool compile_query) {
  std::set<std::string> seen;
  for (const ProcessorSpec& spec : parsed.processors) {
    if (!seen.insert(spec.type).second) {
      return Status::InvalidArgument(fmt::format(
          "Processor type {} is specified more than once in the ProcessingConfiguration",
          spec.type));
    }
    const TypeRule& rule = RuleFor(spec.type);
    std::set<std::string> names;
    for (const auto& [name, value] : spec.parameters) {
      if (std::find(rule.allowed.begin(), rule.allowed.end(), name) == rule.allowed.end()) {
        return Status::InvalidArgument(fmt::format(
            "Processor parameter {} is not supported for processor type {}", name, spec.type));
      }
      if (!names.insert(name).second) {
        return Status::InvalidArgument(
            fmt::format("Processor parameter {} is specified more than once for processor type {}",
                        name, spec.type));
      }
    }
    for (const std::string& required : rule.required) {
      if (!names.count(required)) {
        return Status::InvalidArgument(fmt::format(
            "Processor type {} requires the processor parameter {}", spec.type, required));
      }
    }
    const auto params = ParamMap(spec);
    if (spec.type == "RecordDeAggregation" && params.at("SubRecordType") == "DELIMITED" &&
        !params.count("Delimiter")) {
      return Status::InvalidArgument(
          "Processor type RecordDeAggregation requires the processor parameter Delimiter when "
          "SubRecordType is DELIMITED");
    }
    for (const auto& [name, value] : spec.parameters) {
      HYDRANT_RETURN_IF_ERROR(CheckValue(spec.type, name, value, params, compile_query));
    }
  }
  if (seen.count("CloudWatchLogProcessing") && !seen.count("Decompression")) {
    return Status::InvalidArgument(
        "CloudWatchLogProcessing processor requires a Decompression processor in the "
        "ProcessingConfiguration");
  }
  if (seen.count("MetadataExtraction") && ctx.dynamic_partitioning_enabled.has_value() &&
      !*ctx.dynamic_partitioning_enabled) {
    return Status::InvalidArgument(
        "MetadataExtraction processor can only be used when dynamic partitioning is enabled");
  }
  return Status::Ok();
}

Result<Parsed> Validate(const boost::json::object& config, const ValidationContext& ctx,
                        bool compile_query) {
  auto parsed = ParseAndCheckModel(config, ctx.member_path);
  if (!parsed.ok()) return parsed.status();
  if (parsed->enabled) HYDRANT_RETURN_IF_ERROR(CheckServiceRules(*parsed, ctx, compile_query));
  return parsed;
}

}  // namespace

Status ValidateProcessingConfiguration(const boost::json::object& processing_configuration,
                                       const ValidationContext& ctx) {
  auto parsed = Validate(processing_configuration, ctx, /*compile_query=*/true);
  return parsed.ok() ? Status::Ok() : parsed.status();
}

Result<std::vector<std::unique_ptr<Processor>>> BuildChain(
    const boost::json::object& processing_configuration, const ChainContext& ctx) {
  auto parsed = Validate(processing_configuration, ValidationContext{}, /*compile_query=*/false);
  if (!parsed.ok()) return parsed.status();
  std::vector<std::unique_ptr<Processor>> chain;
  if (ctx.kpl_deaggregation) chain.push_back(std::make_unique<KplDeaggregationProcessor>());
  if (!parsed->enabled) return chain;

  std::map<std::string, std::map<std::string, std::string>> by_type;
  for (const ProcessorSpec& spec : parsed->processors) by_type[spec.type] = ParamMap(spec);
  auto has = [&](const char* type) { return by_type.count(type) > 0; };

  if (has("Decompression")) chain.push_back(std::make_unique<DecompressionProcessor>());
  if (has("CloudWatchLogProcessing") &&
      by_type["CloudWatchLogProcessing"]["DataMessageExtraction"] == "true") {
    chain.push_back(std::make_unique<CloudWatchLogProcessor>());
  }
  if (has("RecordDeAggregation")) {
    auto& p = by_type["RecordDeAggregation"];
    if (p["SubRecordType"] == "JSON") {
      chain.push_back(std::make_unique<RecordDeAggregationProcessor>(
          RecordDeAggregationProcessor::SubRecordType::kJson, ""));
    } else {
      std::string delimiter;
      (void)Base64Decode(p["Delimiter"], &delimiter);  // validated above
      chain.push_back(std::make_unique<RecordDeAggregationProcessor>(
          RecordDeAggregationProcessor::SubRecordType::kDelimited, std::move(delimiter)));
    }
  }
  if (has("Lambda")) {
    if (!ctx.lambda_factory)
      return Status::FailedPrecondition("no Lambda processor factory configured");
    auto lambda = ctx.lambda_factory(by_type["Lambda"]);
    if (!lambda.ok()) return lambda.status();
    chain.push_back(std::move(*lambda));
  }
  if (has("MetadataExtraction")) {
    auto jq = MetadataExtractionProcessor::Create(
        by_type["MetadataExtraction"]["MetadataExtractionQuery"]);
    if (!jq.ok()) return jq.status();
    chain.push_back(std::move(*jq));
  }
  if (has("AppendDelimiterToRecord")) chain.push_back(std::make_unique<AppendDelimiterProcessor>());
  return chain;
}

boost::json::object DescribeProcessingConfiguration(const boost::json::object& processing_configuration,
                                                    std::string_view role_arn) {
  boost::json::object described = processing_configuration;
  auto* processors = described.if_contains("Processors");
  if (!processors || !processors->is_array()) return described;
  for (auto& processor : processors->get_array()) {
    if (!processor.is_object()) continue;
    const auto* type = processor.get_object().if_contains("Type");
    if (!type || !type->is_string() || type->get_string() != "Lambda") continue;
    auto& parameters = processor.get_object()["Parameters"];
    if (!parameters.is_array()) parameters = boost::json::array();
    auto has = [&](std::string_view name) {
      for (const auto& p : parameters.get_array()) {
        const auto* n = p.is_object() ? p.get_object().if_contains("ParameterName") : nullptr;
        if (n && n->is_string() && n->get_string() == name) return true;
      }
      return false;
    };
    const std::pair<std::string_view, std::string_view> defaults[] = {
        {"NumberOfRetries", "3"}, {"RoleArn", role_arn}, {"BufferSizeInMBs", "1"}, {"BufferIntervalInSeconds", "60"}};
    for (const auto& [name, value] : defaults) {
      if (!has(name)) {
        parameters.get_array().push_back({{"ParameterName", name}, {"ParameterValue", value}});
      }
    }
  }
  return described;
}

}  // namespace hydrant::processor
