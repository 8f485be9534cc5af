// The OpenSearch kinds' operations: opensearch_config.cc's rules, opensearch_delivery.cc's delivery.
#include "destination/opensearch/opensearch_kind.h"

#include <fmt/format.h>

#include "common/config_fields.h"
#include "common/sha256.h"
#include "destination/opensearch/opensearch_delivery.h"

namespace hydrant::destination::opensearch {
namespace {

namespace json = boost::json;
using C = DeliveryCounters;

const KindOperations& KindOf(Flavor flavor) {
  switch (flavor) {
    case Flavor::kOpenSearch: return kOpenSearchKind;
    case Flavor::kElasticsearch: return kElasticsearchKind;
    case Flavor::kServerless: return kServerlessKind;
  }
  return kOpenSearchKind;
}

const OpenSearchDestination& Typed(const ParsedDestination& parsed) { return *Of(parsed); }

Result<ParsedDestination> ParseFlavor(const json::object& stored, Flavor flavor) {
  auto d = Parse(stored, flavor);
  if (!d.ok()) return d.status();
  ParsedDestination parsed{.kind = &KindOf(flavor), .buffering = d->buffering, .processing = d->processing,
                           .s3 = d->s3, .typed = nullptr};
  parsed.typed = std::make_shared<const OpenSearchDestination>(std::move(*d));
  return parsed;
}

// How to reach the cluster: a DomainARN through the config's opensearch_domains; a
// ClusterEndpoint / CollectionEndpoint directly, with the credentials of a listed server of that
// endpoint if there is one.
Result<ClusterAccess> Access(const OpenSearchDestination& d, std::span<const ServerAccess> servers) {
  auto trimmed = [](std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
  };
  const ServerAccess* server = nullptr;
  for (const ServerAccess& s : servers) {
    if (!d.domain_arn.empty() ? s.name == d.domain_arn : trimmed(s.endpoint) == trimmed(d.endpoint)) server = &s;
  }
  if (!d.domain_arn.empty() && server == nullptr) {
    return Status::FailedPrecondition("DomainARN " + d.domain_arn +
                                      " is not among the config file's opensearch_domains");
  }
  ClusterAccess access;
  access.endpoint = d.domain_arn.empty() ? d.endpoint : server->endpoint;
  if (server) {
    access.username = server->username;
    access.password = server->password;
    access.sigv4_service = server->sigv4_service;
    access.region = server->region;
    access.access_key_id = server->access_key_id;
    access.secret_access_key = server->secret_access_key;
  }
  return access;
}

Result<std::unique_ptr<Destination>> Build(const ParsedDestination& parsed, const BuildContext& context) {
  const OpenSearchDestination& d = Typed(parsed);
  auto access = Access(d, context.servers);
  if (!access.ok()) return access.status();
  DeliveryOptions options;
  options.access = std::move(*access);
  // Ids are unique across streams writing to one index, and across a stream deleted and created
  // again under the same name: a prefix from the stream's ARN and creation time.
  options.document_id_prefix =
      HexSha256(context.stream_arn + "/" + std::to_string(context.stream_create_millis)).substr(0, 12) + "-";
  options.request_timeout_ms = context.http_timeout_ms;
  options.ca_bundle = context.http_ca_bundle;
  options.skip_verify = context.http_skip_verify;
  return std::unique_ptr<Destination>(new OpenSearchDelivery(context.outbound, d, std::move(options)));
}

#define HYDRANT_OPENSEARCH_METRICS(prefix, cloudwatch)                                                         \
  {                                                                                                            \
    {prefix "_records_total", false, "CloudWatch " cloudwatch ".Records: documents indexed (after processing).", \
     [](const C& c) { return c.records_to_destination; }},                                                     \
        {prefix "_bytes_total", false, "CloudWatch " cloudwatch ".Bytes: bytes of the documents indexed.",     \
         [](const C& c) { return c.bytes_to_destination; }},                                                   \
        {prefix "_successful_requests_total", false,                                                           \
         "CloudWatch " cloudwatch ".Success (numerator): bulk attempts every document of which was indexed.",  \
         [](const C& c) { return c.attempts_succeeded; }},                                                     \
        {prefix "_failed_requests_total", false,                                                               \
         "CloudWatch " cloudwatch ".Success (denominator is successful + failed): bulk attempts with a "       \
                                  "document not indexed.",                                                     \
         [](const C& c) { return c.attempts_failed; }},                                                        \
        {prefix "_data_freshness_seconds", true,                                                               \
         "CloudWatch " cloudwatch ".DataFreshness: age of the oldest record not yet indexed; 0 when none.",    \
         [](const C& c) { return static_cast<uint64_t>(c.data_freshness_millis); }, /*millis_as_seconds=*/true}, \
  }

constexpr MetricFamily kOpenSearchMetrics[] =
    HYDRANT_OPENSEARCH_METRICS("firehose_delivery_to_amazon_opensearch_service", "DeliveryToAmazonOpenSearchService");
constexpr MetricFamily kElasticsearchMetrics[] =
    HYDRANT_OPENSEARCH_METRICS("firehose_delivery_to_elasticsearch", "DeliveryToElasticsearch");
constexpr MetricFamily kServerlessMetrics[] =
    HYDRANT_OPENSEARCH_METRICS("firehose_delivery_to_amazon_opensearch_serverless", "DeliveryToAmazonOpenSearchServerless");
#undef HYDRANT_OPENSEARCH_METRICS

template <Flavor F>
constexpr KindOperations MakeKind(std::span<const MetricFamily> metrics) {
  return KindOperations{
      .stored_member = MemberOf(F),
      .metrics = metrics,
      .from_create = [](const json::object& given, std::string_view) { return FromCreateRequest(given, F); },
      .parse = [](const json::object& stored) { return ParseFlavor(stored, F); },
      .merge = [](const json::object& stored, const json::object& update, std::string_view) {
        return MergeUpdate(stored, update, F);
      },
      .check_change = [](const ParsedDestination& before, const ParsedDestination& after) {
        return CheckChange(Typed(before), Typed(after));
      },
      .describe = [](const json::object& stored, const ParsedDestination& parsed) {
        return Describe(stored, Typed(parsed));
      },
      .build = Build,
  };
}

}  // namespace

const KindOperations kOpenSearchKind = MakeKind<Flavor::kOpenSearch>(kOpenSearchMetrics);
const KindOperations kElasticsearchKind = MakeKind<Flavor::kElasticsearch>(kElasticsearchMetrics);
const KindOperations kServerlessKind = MakeKind<Flavor::kServerless>(kServerlessMetrics);

const OpenSearchDestination* Of(const ParsedDestination& parsed) {
  const bool ours = parsed.kind == &kOpenSearchKind || parsed.kind == &kElasticsearchKind || parsed.kind == &kServerlessKind;
  return ours ? static_cast<const OpenSearchDestination*>(parsed.typed.get()) : nullptr;
}

Result<std::vector<ServerAccess>> ParseDomains(const json::array& entries) {
  std::vector<ServerAccess> out;
  for (const json::value& entry : entries) {
    if (!entry.is_object()) return Status::InvalidArgument("opensearch_domains: each entry must be a mapping");
    const json::object& e = entry.get_object();
    for (const auto& member : e) {
      static constexpr std::string_view kKnown[] = {"domain_arn", "endpoint", "username", "password", "sigv4"};
      if (std::find(std::begin(kKnown), std::end(kKnown), member.key()) == std::end(kKnown)) {
        return Status::InvalidArgument(fmt::format("opensearch_domains: unknown setting '{}'", std::string_view(member.key())));
      }
    }
    auto text = [&](const json::object& o, std::string_view name) {
      const json::value* v = o.if_contains(name);
      return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    ServerAccess server;
    server.name = text(e, "domain_arn");
    server.endpoint = text(e, "endpoint");
    server.username = text(e, "username");
    server.password = text(e, "password");
    if (server.endpoint.empty()) return Status::InvalidArgument("opensearch_domains: each entry needs an endpoint");
    if (!server.endpoint.starts_with("http://") && !server.endpoint.starts_with("https://")) {
      return Status::InvalidArgument("opensearch_domains: endpoint " + server.endpoint + " must start with http:// or https://");
    }
    if (const json::value* sigv4 = e.if_contains("sigv4")) {
      if (!sigv4->is_object()) return Status::InvalidArgument("opensearch_domains: sigv4 must be a mapping");
      const json::object& s = sigv4->get_object();
      server.sigv4_service = text(s, "service");
      server.region = text(s, "region");
      server.access_key_id = text(s, "access_key_id");
      server.secret_access_key = text(s, "secret_access_key");
      if ((server.sigv4_service != "es" && server.sigv4_service != "aoss") || server.region.empty() ||
          server.access_key_id.empty() || server.secret_access_key.empty()) {
        return Status::InvalidArgument(
            "opensearch_domains: sigv4 needs service (es or aoss), region, access_key_id and secret_access_key");
      }
      if (!server.username.empty()) {
        return Status::InvalidArgument("opensearch_domains: an entry authenticates with username/password or sigv4, not both");
      }
    }
    out.push_back(std::move(server));
  }
  return out;
}

}  // namespace hydrant::destination::opensearch
