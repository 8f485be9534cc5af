// S3Delivery: the S3 destination kind's delivery. A batch becomes one object: its records
// concatenated byte for byte, compressed with CompressionFormat, under the service's key.
#pragma once

#include <string>

#include "conversion/parquet_converter.h"
#include "destination/destination.h"
#include "destination/object_writer.h"
#include "destination/s3/s3_config.h"

namespace hydrant::schema {
class GlueCatalog;
}

namespace hydrant::destination::s3 {

// The plan of one object: {"bucket","key","compression"} as JSON. Also how batches journaled
// before plans were opaque are read back (they stored these three members).
std::string ObjectPlan(const std::string& bucket, const std::string& key, const std::string& compression);

class S3Delivery final : public Destination {
 public:
  // `writer` and `glue` (the tables of record format conversion) are not owned and outlive this.
  // `stream_arn` names the region and account of the stream's catalog.
  S3Delivery(ObjectWriter* writer, S3Destination config, bool seal_at_rest = false,
             const schema::GlueCatalog* glue = nullptr, std::string stream_arn = "")
      : writer_(writer), config_(std::move(config)), seal_at_rest_(seal_at_rest), glue_(glue),
        stream_arn_(std::move(stream_arn)) {}

  // The key <Prefix>[YYYY/MM/DD/HH/]<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<batch id><extension>.
  std::string Plan(const BatchFacts& facts) const override;
  Result<std::unique_ptr<Payload>> Encode(std::string_view plan, std::span<const Record> records,
                                          std::string* concatenated = nullptr) const override;
  DeliveryResult Send(const Payload& payload) const override;
  std::string Describe(std::string_view plan) const override;
  // Retried until the 24-hour retention runs out, as the service does.
  std::optional<int64_t> retry_window_millis() const override { return std::nullopt; }
  // A refused object has nowhere else to go: it is retried like a retryable one. With record
  // format conversion, records that cannot be converted go to format-conversion-failed/.
  std::string_view failed_output_type() const override {
    return config_.conversion ? "format-conversion-failed" : "";
  }
  // With conversion: attemptsMade, arrivalTimestamp, lastErrorCode, lastErrorMessage,
  // attemptEndingTimestamp, rawData, sequenceNumber, subSequenceNumber, dataCatalogTable.
  void AppendFailedRecord(const Record& record, const DeliveryFailure& failure, std::string* out) const override;
  // With conversion: a converter for the stream's table as the catalog has it now (dynamic
  // partitioning converts each record as it is sorted, then each partition's object).
  // kUnavailable ("DataFormatConversion.EntityNotFound", ...) while the table cannot be used.
  Result<std::unique_ptr<conversion::ParquetConverter>> NewConverter() const;
  // The object an Encode made (a kind that stages objects, such as Redshift, writes it itself).
  static const format::Object& ObjectOf(const Payload& payload);

 private:
  // The batch as one Parquet object (record format conversion).
  Result<std::unique_ptr<Payload>> Convert(std::string_view plan, std::span<const Record> records) const;

  ObjectWriter* writer_;
  const S3Destination config_;
  const bool seal_at_rest_;
  const schema::GlueCatalog* glue_;
  const std::string stream_arn_;
};

}  // namespace hydrant::destination::s3
