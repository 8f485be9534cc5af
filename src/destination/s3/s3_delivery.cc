// S3Delivery: naming, concatenation and compression of one object per batch.
#include "destination/s3/s3_delivery.h"

#include <boost/json.hpp>

#include "common/base64.h"
#include "destination/failed_record.h"
#include "destination/s3/object_key.h"
#include "destination/s3/side_objects.h"
#include "schema/glue_catalog.h"

namespace hydrant::destination::s3 {
namespace {

namespace json = boost::json;

struct ObjectPayload final : Payload {
  format::Object object;
  uint64_t bytes() const override { return object.body.size(); }
};

// A converted batch: the Parquet object of the records that converted (none: no object), and why
// each of the others did not.
struct ConvertedPayload final : Payload {
  format::Object object;
  std::vector<RecordError> refused;  // per record; an empty code: converted
  uint64_t rows = 0;
  uint64_t bytes() const override { return object.body.size(); }
};

constexpr std::string_view kMalformed = "DataFormatConversion.MalformedData";

// "arn:aws:firehose:<region>:<account>:deliverystream/<name>" → {region, account}.
std::pair<std::string, std::string> RegionAndAccount(std::string_view arn) {
  std::vector<std::string_view> parts;
  for (size_t i = 0; parts.size() < 5;) {
    const size_t colon = arn.find(':', i);
    parts.push_back(arn.substr(i, colon == std::string_view::npos ? std::string_view::npos : colon - i));
    if (colon == std::string_view::npos) break;
    i = colon + 1;
  }
  if (parts.size() < 5) return {"", ""};
  return {std::string(parts[3]), std::string(parts[4])};
}

// The object a plan names; the S3 location's KMS key is the caller's to add.
Result<ObjectTarget> ParsePlan(std::string_view plan) {
  boost::system::error_code ec;
  json::value v = json::parse(plan, ec);
  if (ec || !v.is_object()) return Status::Corruption("S3 plan is not a JSON object");
  const json::object& o = v.get_object();
  const json::value *bucket = o.if_contains("bucket"), *key = o.if_contains("key"),
                    *compression = o.if_contains("compression");
  if (!bucket || !key || !compression || !bucket->is_string() || !key->is_string() || !compression->is_string()) {
    return Status::Corruption("S3 plan lacks bucket, key or compression");
  }
  return ObjectTarget{.bucket = std::string(bucket->get_string()),
                      .key = std::string(key->get_string()),
                      .compression = std::string(compression->get_string()),
                      .kms_key_arn = ""};
}

}  // namespace

std::string ObjectPlan(const std::string& bucket, const std::string& key, const std::string& compression) {
  return json::serialize(json::object{{"bucket", bucket}, {"key", key}, {"compression", compression}});
}

std::string S3Delivery::Plan(const BatchFacts& facts) const {
  // The configuration was validated, so naming cannot fail; the plain key is the fallback.
  // Converted objects end in .parquet (unless FileExtension says otherwise).
  const std::string extension =
      config_.conversion && config_.file_extension.empty() ? ".parquet" : config_.file_extension;
  auto key = DataObjectKey(config_.prefix, config_.compression, extension, config_.time_zone, facts);
  return ObjectPlan(config_.bucket, key.ok() ? *key : config_.prefix + std::string(facts.batch_id),
                    config_.compression);
}

Result<std::unique_ptr<Payload>> S3Delivery::Encode(std::string_view plan, std::span<const Record> records,
                                                    std::string* concatenated) const {
  if (config_.conversion) return Convert(plan, records);
  auto target = ParsePlan(plan);
  if (!target.ok()) return target.status();
  target->kms_key_arn = config_.kms_key_arn;
  size_t bytes = 0;
  for (const Record& r : records) bytes += r.data.size();
  std::string body;
  if (concatenated && concatenated->size() == bytes) {
    body = std::move(*concatenated);  // the object is exactly the records back to back
  } else {
    body.reserve(bytes);
    for (const Record& r : records) body.append(r.data);
  }
  auto object = MakeObject(*target, std::move(body), records.size());
  if (!object.ok()) return object.status();
  auto payload = std::make_unique<ObjectPayload>();
  payload->object = std::move(*object);
  payload->object.seal_at_rest = seal_at_rest_;
  return std::unique_ptr<Payload>(std::move(payload));
}

const format::Object& S3Delivery::ObjectOf(const Payload& payload) {
  return static_cast<const ObjectPayload&>(payload).object;
}

Result<std::unique_ptr<conversion::ParquetConverter>> S3Delivery::NewConverter() const {
  const FormatConversion& c = *config_.conversion;
  if (!glue_) return Status::FailedPrecondition("record format conversion needs the Glue Data Catalog");
  const std::optional<std::string> version = c.version_id == "LATEST" ? std::nullopt : std::optional(c.version_id);
  auto table = glue_->GetTableVersion(c.database, c.table, version);
  if (!table.ok()) {
    // Retried with the batch kept, as the service does, until the table exists.
    return Status::Unavailable("DataFormatConversion.EntityNotFound: " + table.status().message() +
                               " (SchemaConfiguration " + c.database + "." + c.table + ", version " + c.version_id +
                               ", in Hydrant's Glue Data Catalog)");
  }
  std::vector<conversion::Column> columns;
  const json::value* descriptor = table->at("Table").as_object().if_contains("StorageDescriptor");
  const json::value* list = descriptor && descriptor->is_object() ? descriptor->get_object().if_contains("Columns") : nullptr;
  if (list && list->is_array()) {
    for (const json::value& column : list->get_array()) {
      const json::object* o = column.if_object();
      const json::value* name = o ? o->if_contains("Name") : nullptr;
      const json::value* type = o ? o->if_contains("Type") : nullptr;
      if (!name || !type || !name->is_string() || !type->is_string()) continue;
      auto parsed = schema::ParseHiveType(type->get_string());
      if (!parsed.ok()) return Status::Unavailable("DataFormatConversion.InvalidSchema: " + parsed.status().message());
      columns.push_back({std::string(name->get_string()), std::move(*parsed)});
    }
  }
  if (columns.empty()) {
    return Status::Unavailable("DataFormatConversion.InvalidSchema: table " + c.database + "." + c.table +
                               " has no columns in its StorageDescriptor");
  }
  conversion::InputOptions input{.hive = c.hive,
                                 .case_insensitive = c.case_insensitive,
                                 .dots_to_underscores = c.dots_to_underscores,
                                 .column_to_json_key = c.column_to_json_key,
                                 .timestamp_formats = c.timestamp_formats};
  format::parquet::WriterOptions output;
  output.codec = c.compression == "GZIP"           ? format::parquet::Codec::kGzip
                 : c.compression == "UNCOMPRESSED" ? format::parquet::Codec::kUncompressed
                                                   : format::parquet::Codec::kSnappy;
  output.row_group_bytes = static_cast<uint64_t>(c.block_size_bytes);
  output.page_bytes = static_cast<uint64_t>(c.page_size_bytes);
  output.dictionary = c.dictionary;
  output.page_v2 = c.writer_v2;
  output.created_by = "hydrant (record format conversion)";
  return conversion::ParquetConverter::Create(std::move(columns), std::move(input), output);
}

Result<std::unique_ptr<Payload>> S3Delivery::Convert(std::string_view plan, std::span<const Record> records) const {
  auto converter = NewConverter();
  if (!converter.ok()) return converter.status();
  auto payload = std::make_unique<ConvertedPayload>();
  payload->refused.resize(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    if (Status s = (*converter)->Add(records[i].data); !s.ok()) payload->refused[i] = {std::string(kMalformed), s.message()};
  }
  payload->rows = (*converter)->rows();
  if (payload->rows > 0) {
    auto file = (*converter)->Finish();
    if (!file.ok()) return file.status();
    auto target = ParsePlan(plan);
    if (!target.ok()) return target.status();
    target->kms_key_arn = config_.kms_key_arn;
    auto object = MakeObject(*target, std::move(*file), payload->rows);
    if (!object.ok()) return object.status();
    payload->object = std::move(*object);
    payload->object.seal_at_rest = seal_at_rest_;
  }
  return std::unique_ptr<Payload>(std::move(payload));
}

DeliveryResult S3Delivery::Send(const Payload& payload) const {
  if (!config_.conversion) return writer_->Write(static_cast<const ObjectPayload&>(payload).object);
  const auto& converted = static_cast<const ConvertedPayload&>(payload);
  DeliveryResult written;
  if (converted.rows > 0) written = writer_->Write(converted.object);
  if (written.outcome != Outcome::kDelivered) return written;  // every record waits for the object
  DeliveryResult result;
  for (const RecordError& refused : converted.refused) {
    result.records.push_back(refused.code.empty() ? Outcome::kDelivered : Outcome::kFailed);
    result.record_errors.push_back(refused);
  }
  if (std::find(result.records.begin(), result.records.end(), Outcome::kFailed) == result.records.end()) {
    result.records.clear(), result.record_errors.clear();  // all converted: the object as a whole
  } else {
    result.error_code = kMalformed;
    result.error_message = "records that could not be converted to Parquet";
  }
  return result;
}

void S3Delivery::AppendFailedRecord(const Record& record, const DeliveryFailure& failure, std::string* out) const {
  if (!config_.conversion) return Destination::AppendFailedRecord(record, failure, out);
  const FormatConversion& c = *config_.conversion;
  auto [region, account] = RegionAndAccount(stream_arn_);
  if (!c.region.empty()) region = c.region;
  const std::string catalog = c.catalog_id.empty() ? account : c.catalog_id;
  json::object document{
      {"attemptsMade", failure.attempts_made},
      {"arrivalTimestamp", record.arrival_millis},
      {"lastErrorCode", failure.error_code},
      {"lastErrorMessage", failure.error_message},
      {"attemptEndingTimestamp", failure.attempt_ending_millis},
      {"rawData", Base64Encode(record.data)},
      {"sequenceNumber", record.record_id},
      {"subSequenceNumber", record.subsequence},
      {"dataCatalogTable",
       {{"catalogId", catalog},
        {"databaseName", c.database},
        {"tableName", c.table},
        {"region", region},
        {"versionId", c.version_id},
        {"catalogArn", "arn:aws:glue:" + region + ":" + catalog + ":catalog"}}}};
  AppendDocument(document, out);
}

std::string S3Delivery::Describe(std::string_view plan) const {
  auto parsed = ParsePlan(plan);
  if (!parsed.ok()) return std::string(plan);
  return "s3://" + parsed->bucket + "/" + parsed->key;
}

}  // namespace hydrant::destination::s3
