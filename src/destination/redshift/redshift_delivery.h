// RedshiftDelivery: the Redshift destination's delivery, as the service does it, onto PostgreSQL.
// A batch becomes an object in the intermediate bucket (named and compressed as S3 delivery does),
// then a manifest under <Prefix>manifests/ listing it, then a load of the manifest's object into
// the table (postgres_loader.h: COPY FROM STDIN, exactly once per manifest). Every step is
// repeated as is by a retry or after a restart: the objects are overwritten with the same bytes
// and a recorded manifest is not loaded again. A batch that outlives the retry window leaves its
// manifest under <Prefix>errors/manifests/ for a manual backfill, as on the service.
#pragma once

#include <memory>
#include <string>

#include "destination/destination.h"
#include "destination/object_writer.h"
#include "destination/redshift/postgres_loader.h"
#include "destination/redshift/redshift_config.h"
#include "destination/s3/s3_delivery.h"

namespace hydrant::destination::redshift {

class RedshiftDelivery final : public Destination {
 public:
  // `writer` is not owned and outlives this.
  RedshiftDelivery(ObjectWriter* writer, RedshiftDestination config, bool seal_at_rest);

  // {"bucket","key","compression","manifest"}: the intermediate object and the manifest's key,
  // <Prefix>manifests/YYYY/MM/DD/HH/<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<batch id>.
  std::string Plan(const BatchFacts& facts) const override;
  Result<std::unique_ptr<Payload>> Encode(std::string_view plan, std::span<const Record> records,
                                          std::string* concatenated = nullptr) const override;
  DeliveryResult Send(const Payload& payload) const override;
  std::string Describe(std::string_view plan) const override;
  std::optional<int64_t> retry_window_millis() const override { return config_.retry_seconds * 1000; }
  // Its error output key is <Prefix>errors/manifests/YYYY/MM/dd/HH/<name>.
  std::string_view failed_output_type() const override { return "errors/manifests"; }
  std::string FailedBatchOutput(std::string_view plan) const override;

 private:
  ObjectWriter* writer_;
  const RedshiftDestination config_;
  s3::S3Delivery staging_;  // the intermediate object
  mutable PostgresLoader loader_;
};

// The manifest of one object: {"entries":[{"url":"s3://bucket/key","mandatory":true}]}.
std::string Manifest(std::string_view bucket, std::string_view key);

}  // namespace hydrant::destination::redshift
