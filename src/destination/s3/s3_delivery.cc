// S3Delivery: naming, concatenation and compression of one object per batch.
#include "destination/s3/s3_delivery.h"

#include <boost/json.hpp>

#include "format/compression.h"
#include "destination/s3/object_key.h"

namespace hydrant::destination::s3 {
namespace {

namespace json = boost::json;

struct ObjectPayload final : Payload {
  format::Object object;
  uint64_t bytes() const override { return object.body.size(); }
};

struct ParsedPlan {
  std::string bucket, key, compression;
};

Result<ParsedPlan> ParsePlan(std::string_view plan) {
  boost::system::error_code ec;
  json::value v = json::parse(plan, ec);
  if (ec || !v.is_object()) return Status::Corruption("S3 plan is not a JSON object");
  const json::object& o = v.get_object();
  const json::value *bucket = o.if_contains("bucket"), *key = o.if_contains("key"),
                    *compression = o.if_contains("compression");
  if (!bucket || !key || !compression || !bucket->is_string() || !key->is_string() || !compression->is_string()) {
    return Status::Corruption("S3 plan lacks bucket, key or compression");
  }
  return ParsedPlan{std::string(bucket->get_string()), std::string(key->get_string()),
                    std::string(compression->get_string())};
}

}  // namespace

std::string ObjectPlan(const std::string& bucket, const std::string& key, const std::string& compression) {
  return json::serialize(json::object{{"bucket", bucket}, {"key", key}, {"compression", compression}});
}

std::string S3Delivery::Plan(const BatchFacts& facts) const {
  // The configuration was validated, so naming cannot fail; the plain key is the fallback.
  auto key = DataObjectKey(config_.prefix, config_.compression, config_.file_extension, config_.time_zone, facts);
  return ObjectPlan(config_.bucket, key.ok() ? *key : config_.prefix + std::string(facts.batch_id),
                    config_.compression);
}

Result<std::unique_ptr<Payload>> S3Delivery::Encode(std::string_view plan, std::span<const Record> records,
                                                    std::string* concatenated) const {
  auto parsed = ParsePlan(plan);
  if (!parsed.ok()) return parsed.status();
  auto payload = std::make_unique<ObjectPayload>();
  format::Object& object = payload->object;
  object.bucket = std::move(parsed->bucket);
  object.key = std::move(parsed->key);
  object.kms_key_arn = config_.kms_key_arn;
  size_t bytes = 0;
  for (const Record& r : records) bytes += r.data.size();
  if (concatenated && concatenated->size() == bytes) {
    object.body = std::move(*concatenated);  // the object is exactly the records back to back
  } else {
    object.body.reserve(bytes);
    for (const Record& r : records) object.body.append(r.data);
  }
  object.records = records.size();
  HYDRANT_RETURN_IF_ERROR(format::CompressObjectForKey(parsed->compression, &object));
  return std::unique_ptr<Payload>(std::move(payload));
}

DeliveryResult S3Delivery::Send(const Payload& payload) const {
  return writer_->Write(static_cast<const ObjectPayload&>(payload).object);
}

std::string S3Delivery::Describe(std::string_view plan) const {
  auto parsed = ParsePlan(plan);
  if (!parsed.ok()) return std::string(plan);
  return "s3://" + parsed->bucket + "/" + parsed->key;
}

}  // namespace hydrant::destination::s3
