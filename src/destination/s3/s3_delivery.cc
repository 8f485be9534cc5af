// S3Delivery: naming, concatenation and compression of one object per batch.
#include "destination/s3/s3_delivery.h"

#include <boost/json.hpp>

#include "destination/s3/object_key.h"
#include "destination/s3/side_objects.h"

namespace hydrant::destination::s3 {
namespace {

namespace json = boost::json;

struct ObjectPayload final : Payload {
  format::Object object;
  uint64_t bytes() const override { return object.body.size(); }
};

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
  auto key = DataObjectKey(config_.prefix, config_.compression, config_.file_extension, config_.time_zone, facts);
  return ObjectPlan(config_.bucket, key.ok() ? *key : config_.prefix + std::string(facts.batch_id),
                    config_.compression);
}

Result<std::unique_ptr<Payload>> S3Delivery::Encode(std::string_view plan, std::span<const Record> records,
                                                    std::string* concatenated) const {
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

DeliveryResult S3Delivery::Send(const Payload& payload) const {
  return writer_->Write(static_cast<const ObjectPayload&>(payload).object);
}

std::string S3Delivery::Describe(std::string_view plan) const {
  auto parsed = ParsePlan(plan);
  if (!parsed.ok()) return std::string(plan);
  return "s3://" + parsed->bucket + "/" + parsed->key;
}

}  // namespace hydrant::destination::s3
