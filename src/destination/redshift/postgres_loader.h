// PostgresLoader: loads one staged batch into a table of a PostgreSQL (or Redshift) database
// through libpq, exactly once. The rows (load_rows.h) go through COPY ... FROM STDIN in a
// transaction that also records the batch's manifest in Hydrant's table
// hydrant_loaded_manifests; a manifest already recorded is not loaded again, so a load whose
// answer was lost, or a batch sent again after a crash, is never loaded twice. A value PostgreSQL
// refuses (a type error, NULL into NOT NULL) rejects its row; up to MAXERROR rejected rows are
// skipped and reported, one more fails the load.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "destination/destination.h"
#include "destination/redshift/copy_options.h"
#include "destination/redshift/load_rows.h"

typedef struct pg_conn PGconn;  // libpq's connection (libpq-fe.h)

namespace hydrant::destination::redshift {

// Where and as whom to connect (from ClusterJDBCURL, Username, Password).
struct Connection {
  std::string host;
  std::string port;
  std::string database;
  std::string user;
  std::string password;
  std::string sslmode;  // from the URL's ssl/sslmode parameters; "" = libpq's default
  bool operator==(const Connection&) const = default;
};

// jdbc:redshift://host:port/db or jdbc:postgresql://host[:port]/db[?sslmode=...]. kInvalidArgument
// otherwise.
Result<Connection> ParseJdbcUrl(std::string_view url);

struct LoadRequest {
  std::string_view manifest;  // its s3:// URL: the batch's identity in hydrant_loaded_manifests
  std::string_view table;     // DataTableName as configured (may name a schema)
  std::span<const std::string> columns;  // DataTableColumns; empty = every column of the table
  const CopyOptions* options = nullptr;
  std::string_view input;           // the staged object, decompressed
  std::string_view jsonpaths_file;  // with JSON 's3://...': the file's contents
};

struct LoadResult {
  DeliveryResult result;
  uint64_t rows_loaded = 0;
  std::vector<RejectedRow> rejected;  // skipped within MAXERROR
  bool already_loaded = false;        // the manifest was recorded by an earlier attempt
};

// Thread-safe: loads are serialised on one connection, opened on first use and again after it
// breaks.
class PostgresLoader {
 public:
  explicit PostgresLoader(Connection connection) : connection_(std::move(connection)) {}
  ~PostgresLoader();
  PostgresLoader(const PostgresLoader&) = delete;
  PostgresLoader& operator=(const PostgresLoader&) = delete;

  LoadResult Load(const LoadRequest& request);

 private:
  // Opens the connection when there is none; an error result otherwise.
  std::optional<DeliveryResult> Connect();
  void Close();

  const Connection connection_;
  std::mutex mu_;
  PGconn* conn_ = nullptr;
};

// The Redshift-style error code for a PostgreSQL SQLSTATE (exposed for tests).
std::string_view ErrorCodeFor(std::string_view sqlstate);

}  // namespace hydrant::destination::redshift
