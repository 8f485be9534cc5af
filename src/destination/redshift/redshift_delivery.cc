// RedshiftDelivery: staging, manifest and load of one batch.
#include "destination/redshift/redshift_delivery.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/json.hpp>

#include "destination/s3/object_key.h"
#include "destination/s3/side_objects.h"
#include "processor/decompression_processor.h"

namespace hydrant::destination::redshift {
namespace {

namespace json = boost::json;

constexpr size_t kMaxObjectBytes = size_t{1} << 32;  // decompressed; far beyond any batch

struct BatchPayload final : Payload {
  std::unique_ptr<Payload> staged;  // the intermediate object (S3Delivery's payload)
  const format::Object* object = nullptr;
  format::Object manifest;
  std::string manifest_url;
  mutable std::atomic<bool> written{false};  // both objects are in S3 (a retry only loads)
  uint64_t bytes() const override { return object->body.size(); }
};

struct PlanParts {
  std::string bucket, key, manifest_key;
};

Result<PlanParts> ParsePlan(std::string_view plan) {
  boost::system::error_code ec;
  json::value v = json::parse(plan, ec);
  const json::object* o = !ec && v.is_object() ? &v.get_object() : nullptr;
  const json::value *bucket = o ? o->if_contains("bucket") : nullptr, *key = o ? o->if_contains("key") : nullptr,
                    *manifest = o ? o->if_contains("manifest") : nullptr;
  if (!bucket || !key || !manifest || !bucket->is_string() || !key->is_string() || !manifest->is_string()) {
    return Status::Corruption("Redshift plan lacks bucket, key or manifest");
  }
  return PlanParts{std::string(bucket->get_string()), std::string(key->get_string()),
                   std::string(manifest->get_string())};
}

}  // namespace

std::string Manifest(std::string_view bucket, std::string_view key) {
  json::object entry{{"url", fmt::format("s3://{}/{}", bucket, key)}, {"mandatory", true}};
  return json::serialize(json::object{{"entries", json::array{std::move(entry)}}});
}

RedshiftDelivery::RedshiftDelivery(ObjectWriter* writer, RedshiftDestination config, bool seal_at_rest)
    : writer_(writer), config_(std::move(config)), staging_(writer, config_.s3, seal_at_rest),
      loader_(config_.connection) {}

std::string RedshiftDelivery::Plan(const BatchFacts& facts) const {
  json::value plan = json::parse(staging_.Plan(facts));
  // The manifest is named like the object, under <Prefix>manifests/ (no extension).
  auto manifest = s3::DataObjectKey(config_.s3.prefix + "manifests/", "UNCOMPRESSED", "", config_.s3.time_zone, facts);
  plan.as_object()["manifest"] = manifest.ok() ? *manifest : config_.s3.prefix + "manifests/" + std::string(facts.batch_id);
  return json::serialize(plan);
}

Result<std::unique_ptr<Payload>> RedshiftDelivery::Encode(std::string_view plan, std::span<const Record> records,
                                                          std::string* concatenated) const {
  auto parts = ParsePlan(plan);
  if (!parts.ok()) return parts.status();
  auto staged = staging_.Encode(plan, records, concatenated);
  if (!staged.ok()) return staged.status();
  auto payload = std::make_unique<BatchPayload>();
  payload->staged = std::move(*staged);
  payload->object = &s3::S3Delivery::ObjectOf(*payload->staged);
  payload->manifest = s3::ErrorOutputObject(config_.s3, parts->manifest_key, Manifest(parts->bucket, parts->key));
  payload->manifest.content_type = "application/json";
  payload->manifest.seal_at_rest = payload->object->seal_at_rest;
  payload->manifest_url = fmt::format("s3://{}/{}", parts->bucket, parts->manifest_key);
  return std::unique_ptr<Payload>(std::move(payload));
}

DeliveryResult RedshiftDelivery::Send(const Payload& given) const {
  const auto& payload = static_cast<const BatchPayload&>(given);
  DeliveryResult result;
  if (!payload.written) {
    for (const format::Object* object : {payload.object, &payload.manifest}) {
      DeliveryResult written = writer_->Write(*object);
      if (written.outcome != Outcome::kDelivered) {
        if (written.outcome == Outcome::kFailed) written.outcome = Outcome::kRetryable;
        return written;
      }
      ++result.staged_objects;
      result.staged_bytes += object->body.size();
    }
    result.staged_records = payload.object->records;
    payload.written = true;
  }
  std::string jsonpaths;
  if (config_.copy.format == InputFormat::kJson && config_.copy.json == JsonMapping::kJsonPaths) {
    // Read for every load, as COPY does: a corrected file is used by the next attempt.
    const std::string_view url = std::string_view(config_.copy.jsonpaths_url).substr(5);
    const size_t slash = url.find('/');
    auto file = writer_->Read(std::string(url.substr(0, slash)), std::string(url.substr(slash + 1)));
    if (!file.ok()) {
      result.outcome = Outcome::kRetryable;
      result.error_code = "Redshift.IncorrectJsonPathsFile";
      result.error_message = "cannot read the jsonpaths file " + config_.copy.jsonpaths_url + ": " + file.status().message();
      return result;
    }
    jsonpaths = std::move(*file);
  }
  std::string decompressed;
  std::string_view input = payload.object->body;
  if (config_.copy.gzip) {
    Status s = processor::GunzipInto(input, &decompressed, kMaxObjectBytes);
    if (!s.ok()) {
      result.outcome = Outcome::kRetryable;
      result.error_code = "Redshift.DataLoadFailed";
      result.error_message = "the staged object is not gzip: " + s.message();
      return result;
    }
    input = decompressed;
  }
  LoadResult load = loader_.Load({.manifest = payload.manifest_url,
                                  .table = config_.table,
                                  .columns = config_.columns,
                                  .options = &config_.copy,
                                  .input = input,
                                  .jsonpaths_file = jsonpaths});
  const uint64_t staged_objects = result.staged_objects, staged_records = result.staged_records,
                 staged_bytes = result.staged_bytes;
  result = std::move(load.result);
  result.staged_objects = staged_objects;
  result.staged_records = staged_records;
  result.staged_bytes = staged_bytes;
  if (result.outcome != Outcome::kDelivered) return result;
  result.rows_rejected = load.rejected.size();
  if (load.already_loaded) {
    spdlog::info("{} was loaded into {} already: not loaded again", payload.manifest_url, config_.table);
  }
  constexpr size_t kLoggedRows = 10;
  for (size_t i = 0; i < load.rejected.size() && i < kLoggedRows; ++i) {
    spdlog::warn("{}: row rejected within MAXERROR {}: line {}: {}", payload.manifest_url, config_.copy.max_error,
                 load.rejected[i].line, load.rejected[i].reason);
  }
  if (load.rejected.size() > kLoggedRows) {
    spdlog::warn("{}: {} more rows rejected", payload.manifest_url, load.rejected.size() - kLoggedRows);
  }
  return result;
}

std::string RedshiftDelivery::Describe(std::string_view plan) const {
  auto parts = ParsePlan(plan);
  if (!parts.ok()) return std::string(plan);
  return fmt::format("table {} from s3://{}/{}", config_.table, parts->bucket, parts->manifest_key);
}

std::string RedshiftDelivery::FailedBatchOutput(std::string_view plan) const {
  auto parts = ParsePlan(plan);
  return parts.ok() ? Manifest(parts->bucket, parts->key) : std::string();
}

}  // namespace hydrant::destination::redshift
