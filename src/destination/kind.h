// A destination kind: its configuration's operations and how a stream's destination is built.
// Each kind's folder defines one KindOperations; destination/registry.cc points at it from the
// row of its *DestinationConfiguration member. stream/ and api/ (metrics) call only these, so a
// new kind is its folder plus its registry line.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "destination/delivery_metrics.h"
#include "destination/destination.h"
#include "destination/object_writer.h"
#include "destination/s3/s3_config.h"
#include "http/outbound_client.h"

namespace hydrant::schema {
class GlueCatalog;
}

namespace hydrant::destination {

struct KindOperations;

// A destination's configuration once parsed: what every stream reads, and the kind's own form.
struct ParsedDestination {
  const KindOperations* kind = nullptr;
  s3::BufferingHints buffering;                   // the lane's BufferingHints
  std::optional<boost::json::object> processing;  // the enabled ProcessingConfiguration
  // Where S3 objects go: the S3 destination itself, or another kind's S3 location
  // (S3Configuration: error output and backups; no processing, backup or partitioning).
  s3::S3Destination s3;
  std::shared_ptr<const void> typed;  // the kind's own parsed configuration (its folder reads it)
};

// A server the config file describes for destinations that reach it by name or URL (an OpenSearch
// domain): its endpoint and how to authenticate.
struct ServerAccess {
  std::string name;                // what a stream names it by (a DomainARN); "" = by endpoint only
  std::string endpoint;            // base URL
  std::string username, password;  // HTTP basic, when username is set
  std::string sigv4_service;       // e.g. "es", "aoss": requests are SigV4-signed
  std::string region, access_key_id, secret_access_key;
};

// What building a stream's destination may use besides its configuration.
struct BuildContext {
  ObjectWriter* objects = nullptr;           // S3 writes (embedded store, remote buckets)
  http::OutboundClient* outbound = nullptr;  // HTTP requests
  std::string stream_arn;
  int64_t http_timeout_ms = 180'000;         // an HTTP destination's answer
  std::string http_ca_bundle;                // CAs https destinations are verified against
  bool http_skip_verify = false;             // their certificates are not verified (explicit option)
  bool seal_at_rest = false;                 // the stream is encrypted (format::Object::seal_at_rest)
  int64_t stream_create_millis = 0;          // with stream_arn: this stream, not an earlier namesake
  std::span<const ServerAccess> servers;     // the config file's servers (opensearch_domains)
  int64_t splunk_ack_timeout_ms = 0;         // testing: replaces HECAcknowledgmentTimeoutInSeconds
  const schema::GlueCatalog* glue = nullptr;  // the tables of record format conversion
};

struct KindOperations {
  std::string_view stored_member;  // the member a stream of this kind is stored under
  std::span<const MetricFamily> metrics;  // its DeliveryTo<Kind>.* families for /metrics
  // The stored form of a CreateDeliveryStream member (`member`: which one was given).
  Result<boost::json::object> (*from_create)(const boost::json::object& given, std::string_view member);
  // Every rule of the kind; the parsed form.
  Result<ParsedDestination> (*parse)(const boost::json::object& stored);
  // `stored` after an UpdateDestination member (`member`: which one was given).
  Result<boost::json::object> (*merge)(const boost::json::object& stored, const boost::json::object& update,
                                       std::string_view member);
  // What an update may not change.
  Status (*check_change)(const ParsedDestination& before, const ParsedDestination& after);
  // DescribeDeliveryStream's Destinations[0] members.
  boost::json::object (*describe)(const boost::json::object& stored, const ParsedDestination& parsed);
  // The stream's destination.
  Result<std::unique_ptr<Destination>> (*build)(const ParsedDestination& parsed, const BuildContext& context);
};

}  // namespace hydrant::destination
