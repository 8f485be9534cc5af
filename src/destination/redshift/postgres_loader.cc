// PostgresLoader: the connection, the exactly-once transaction and PostgreSQL's errors as
// Redshift's codes.
#include "destination/redshift/postgres_loader.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>

namespace hydrant::destination::redshift {
namespace {

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

ResultPtr Exec(PGconn* conn, const char* sql, std::span<const char* const> params = {}) {
  return ResultPtr(PQexecParams(conn, sql, static_cast<int>(params.size()), nullptr, params.data(), nullptr, nullptr, 0),
                   &PQclear);
}

std::string Field(const PGresult* r, int field) {
  const char* v = r ? PQresultErrorField(r, field) : nullptr;
  return v ? v : "";
}

DeliveryResult Retry(std::string_view code, std::string message) {
  return {Outcome::kRetryable, std::string(code), std::move(message)};
}

// An error answer as a retryable result with Redshift's code.
DeliveryResult Failure(PGconn* conn, const PGresult* r) {
  const std::string state = Field(r, PG_DIAG_SQLSTATE);
  std::string message = Field(r, PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty()) message = PQerrorMessage(conn);
  while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back()))) message.pop_back();
  if (state.empty() || PQstatus(conn) != CONNECTION_OK) return Retry("Redshift.ConnectionFailed", message);
  return Retry(ErrorCodeFor(state), message + " (SQLSTATE " + state + ")");
}

const char kRecordTable[] =
    "CREATE TABLE IF NOT EXISTS hydrant_loaded_manifests ("
    "manifest text PRIMARY KEY, table_name text NOT NULL, rows_loaded bigint NOT NULL DEFAULT 0, "
    "rows_rejected bigint NOT NULL DEFAULT 0, loaded_at timestamptz NOT NULL DEFAULT now())";

// The table's columns in order: name, type category and modifier.
const char kColumns[] =
    "SELECT a.attname, a.atttypid::regtype::text, t.typcategory, a.atttypmod, $1::regclass::text "
    "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
    "WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";

// A DataTableColumns name as PostgreSQL resolves it: folded to lower case unless quoted.
std::string Identifier(std::string_view name) {
  while (!name.empty() && std::isspace(static_cast<unsigned char>(name.front()))) name.remove_prefix(1);
  while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) name.remove_suffix(1);
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') return std::string(name.substr(1, name.size() - 2));
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// "COPY t, line 3, column a: ..." → 3.
std::optional<size_t> CopyLine(std::string_view context) {
  const size_t at = context.find(", line ");
  if (at == std::string_view::npos) return std::nullopt;
  size_t n = 0, i = at + 7;
  if (i >= context.size() || !std::isdigit(static_cast<unsigned char>(context[i]))) return std::nullopt;
  for (; i < context.size() && std::isdigit(static_cast<unsigned char>(context[i])); ++i) n = n * 10 + (context[i] - '0');
  return n;
}

}  // namespace

std::string_view ErrorCodeFor(std::string_view state) {
  if (state == "42P01" || state == "3F000") return "Redshift.TableNotFound";
  if (state == "42703") return "Redshift.ColumnNotFound";
  if (state == "42601") return "Redshift.SyntaxError";
  if (state == "42501") return "Redshift.InsufficientPrivilege";
  if (state == "28P01" || state == "28000") return "Redshift.AuthenticationFailed";
  if (state == "3D000") return "Redshift.DatabaseNotFound";
  if (state == "25006") return "Redshift.ReadOnlyCluster";
  if (state == "53100") return "Redshift.DiskFull";
  if (state.starts_with("22") || state.starts_with("23")) return "Redshift.InvalidData";
  if (state.starts_with("08") || state.starts_with("57P")) return "Redshift.ConnectionFailed";
  return "Redshift.DataLoadFailed";
}

Result<Connection> ParseJdbcUrl(std::string_view url) {
  Connection c;
  std::string_view rest;
  std::string default_port;
  if (url.starts_with("jdbc:redshift://")) {
    rest = url.substr(16), default_port = "5439";
  } else if (url.starts_with("jdbc:postgresql://")) {
    rest = url.substr(18), default_port = "5432";
  } else {
    return Status::InvalidArgument("ClusterJDBCURL must start with jdbc:redshift:// or jdbc:postgresql://");
  }
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return Status::InvalidArgument("ClusterJDBCURL must name a database: host:port/db");
  std::string_view authority = rest.substr(0, slash), path = rest.substr(slash + 1), query;
  if (const size_t q = path.find('?'); q != std::string_view::npos) query = path.substr(q + 1), path = path.substr(0, q);
  if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    c.port = std::string(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
    if (c.port.empty() || c.port.size() > 5 ||
        !std::all_of(c.port.begin(), c.port.end(), [](unsigned char ch) { return std::isdigit(ch); })) {
      return Status::InvalidArgument("ClusterJDBCURL has an invalid port");
    }
  } else {
    c.port = default_port;
  }
  if (authority.empty() || path.empty()) return Status::InvalidArgument("ClusterJDBCURL must be jdbc:redshift://host:port/db");
  c.host = std::string(authority);
  c.database = std::string(path);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
    if (param.starts_with("sslmode=")) c.sslmode = std::string(param.substr(8));
    if (param == "ssl=true") c.sslmode = "require";
  }
  return c;
}

PostgresLoader::~PostgresLoader() { Close(); }

void PostgresLoader::Close() {
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
}

std::optional<DeliveryResult> PostgresLoader::Connect() {
  if (conn_ && PQstatus(conn_) == CONNECTION_OK) return std::nullopt;
  Close();
  // A server that goes away mid-load is noticed within about a minute (keepalives, unacknowledged
  // writes), and the load retried.
  std::vector<const char*> keys = {"host", "port", "dbname", "user", "password", "connect_timeout", "keepalives",
                                   "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                                   "application_name"};
  std::vector<const char*> values = {connection_.host.c_str(), connection_.port.c_str(), connection_.database.c_str(),
                                     connection_.user.c_str(), connection_.password.c_str(), "10", "1", "30", "10", "3",
                                     "60000", "hydrant"};
  if (!connection_.sslmode.empty()) keys.push_back("sslmode"), values.push_back(connection_.sslmode.c_str());
  keys.push_back(nullptr), values.push_back(nullptr);
  conn_ = PQconnectdbParams(keys.data(), values.data(), 0);
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn_);
    while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back()))) message.pop_back();
    Close();
    if (message.find("authentication failed") != std::string::npos ||
        message.find("no password supplied") != std::string::npos) {
      return Retry("Redshift.AuthenticationFailed", message);
    }
    if (message.find("database \"") != std::string::npos && message.find("does not exist") != std::string::npos) {
      return Retry("Redshift.DatabaseNotFound", message);
    }
    return Retry("Redshift.ConnectionFailed", message);
  }
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);  // "already exists, skipping"
  // Created when missing; a user without CREATE on the schema can load once an administrator
  // has created it (and granted INSERT, UPDATE, SELECT on it).
  auto exists = [this] {
    ResultPtr found = Exec(conn_, "SELECT to_regclass('hydrant_loaded_manifests') IS NOT NULL");
    return PQresultStatus(found.get()) == PGRES_TUPLES_OK && PQntuples(found.get()) == 1 &&
           *PQgetvalue(found.get(), 0, 0) == 't';
  };
  if (exists()) return std::nullopt;
  ResultPtr created = Exec(conn_, kRecordTable);
  // Two streams creating it at once: the one that loses the race finds it made.
  if (PQresultStatus(created.get()) != PGRES_COMMAND_OK && !exists()) {
    DeliveryResult failure = Failure(conn_, created.get());
    failure.error_message = "cannot create table hydrant_loaded_manifests: " + failure.error_message;
    Close();
    return failure;
  }
  return std::nullopt;
}

LoadResult PostgresLoader::Load(const LoadRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  LoadResult out;
  if (auto failure = Connect()) return out.result = std::move(*failure), out;
  auto fail = [&](const PGresult* r) {
    out.result = Failure(conn_, r);
    if (PQstatus(conn_) != CONNECTION_OK) {
      Close();
    } else if (PQtransactionStatus(conn_) != PQTRANS_IDLE) {
      Exec(conn_, "ROLLBACK");
    }
    return out;
  };

  // The target columns, as the table has them.
  const std::string table(request.table);
  const char* table_param[] = {table.c_str()};
  ResultPtr described = Exec(conn_, kColumns, table_param);
  if (PQresultStatus(described.get()) != PGRES_TUPLES_OK) return fail(described.get());
  std::vector<Column> all;
  for (int i = 0; i < PQntuples(described.get()); ++i) {
    Column c{.name = PQgetvalue(described.get(), i, 0)};
    const std::string type = PQgetvalue(described.get(), i, 1);
    const int32_t modifier = std::atoi(PQgetvalue(described.get(), i, 3));
    if (*PQgetvalue(described.get(), i, 2) == 'S') {
      c.type = ColumnType::kText;
      if (modifier > 4) c.max_chars = modifier - 4;
    } else if (type == "timestamp without time zone") {
      c.type = ColumnType::kTimestamp;
    } else if (type == "timestamp with time zone") {
      c.type = ColumnType::kTimestampTz;
    } else if (type == "date") {
      c.type = ColumnType::kDate;
    }
    all.push_back(std::move(c));
  }
  if (all.empty()) return out.result = Retry("Redshift.TableNotFound", "table " + table + " has no columns"), out;
  const std::string qualified = PQgetvalue(described.get(), 0, 4);
  std::vector<Column> columns;
  for (const std::string& given : request.columns) {
    const std::string name = Identifier(given);
    auto found = std::find_if(all.begin(), all.end(), [&](const Column& c) { return c.name == name; });
    if (found == all.end()) {
      out.result = Retry("Redshift.ColumnNotFound",
                         fmt::format("column \"{}\" of relation \"{}\" does not exist", name, table));
      return out;
    }
    columns.push_back(*found);
  }
  if (columns.empty()) columns = all;

  std::vector<std::string> pointers;
  if (request.options->format == InputFormat::kJson && request.options->json == JsonMapping::kJsonPaths) {
    auto parsed = ParseJsonPaths(request.jsonpaths_file, columns.size());
    if (!parsed.ok()) return out.result = Retry("Redshift.IncorrectJsonPathsFile", parsed.status().message()), out;
    pointers = std::move(*parsed);
  }
  LoadRows rows = ReadRows(request.input, *request.options, columns, pointers);
  out.rejected = std::move(rows.rejected);
  const auto too_many = [&] {
    const RejectedRow& last = out.rejected.back();
    out.result = Retry("Redshift.InvalidData",
                       fmt::format("{} rows rejected, more than MAXERROR {}; line {}: {}", out.rejected.size(),
                                   request.options->max_error, last.line, last.reason));
    return out;
  };
  if (static_cast<int64_t>(out.rejected.size()) > request.options->max_error) return too_many();

  std::string copy = "COPY " + qualified + " (";
  for (size_t i = 0; i < columns.size(); ++i) {
    char* quoted = PQescapeIdentifier(conn_, columns[i].name.data(), columns[i].name.size());
    copy += (i ? ", " : "") + std::string(quoted ? quoted : "");
    PQfreemem(quoted);
  }
  copy += ") FROM STDIN WITH (FORMAT csv)";

  // Exactly once: the manifest's row and the rows commit together.
  ResultPtr begin = Exec(conn_, "BEGIN");
  if (PQresultStatus(begin.get()) != PGRES_COMMAND_OK) return fail(begin.get());
  const std::string manifest(request.manifest);
  const char* record_params[] = {manifest.c_str(), qualified.c_str()};
  ResultPtr recorded = Exec(conn_,
                            "INSERT INTO hydrant_loaded_manifests (manifest, table_name) VALUES ($1, $2) "
                            "ON CONFLICT (manifest) DO NOTHING",
                            record_params);
  if (PQresultStatus(recorded.get()) != PGRES_COMMAND_OK) return fail(recorded.get());
  if (std::string_view(PQcmdTuples(recorded.get())) == "0") {
    Exec(conn_, "ROLLBACK");
    out.already_loaded = true;
    out.rejected.clear();
    return out;
  }

  std::vector<bool> skip(rows.size(), false);
  for (;;) {
    ResultPtr savepoint = Exec(conn_, "SAVEPOINT load");
    if (PQresultStatus(savepoint.get()) != PGRES_COMMAND_OK) return fail(savepoint.get());
    ResultPtr started = Exec(conn_, copy.c_str());
    if (PQresultStatus(started.get()) != PGRES_COPY_IN) return fail(started.get());
    std::vector<size_t> sent;  // COPY's line n is rows[sent[n - 1]]
    bool ok = true;
    constexpr size_t kChunk = 1 << 20;
    size_t from = 0;  // the first byte not sent yet
    auto send = [&](size_t to) {
      if (to > from && ok) ok = PQputCopyData(conn_, rows.csv.data() + from, static_cast<int>(to - from)) == 1;
      from = to;
    };
    for (size_t i = 0; i < rows.size(); ++i) {
      if (skip[i]) {
        send(i == 0 ? 0 : rows.ends[i - 1]);
        from = rows.ends[i];
        continue;
      }
      sent.push_back(i);
      if (rows.ends[i] - from >= kChunk) send(rows.ends[i]);
    }
    send(rows.csv.size());
    if (PQputCopyEnd(conn_, ok ? nullptr : "hydrant: sending rows failed") != 1) ok = false;
    ResultPtr copied(PQgetResult(conn_), &PQclear);
    while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
    if (PQresultStatus(copied.get()) == PGRES_COMMAND_OK) {
      out.rows_loaded = std::strtoull(PQcmdTuples(copied.get()), nullptr, 10);
      break;
    }
    const std::string state = Field(copied.get(), PG_DIAG_SQLSTATE);
    const std::optional<size_t> line = CopyLine(Field(copied.get(), PG_DIAG_CONTEXT));
    if (!ok || !line || *line == 0 || *line > sent.size() || !(state.starts_with("22") || state.starts_with("23"))) {
      return fail(copied.get());
    }
    // One row PostgreSQL refused: skipped, and the rest copied again.
    const size_t row = sent[*line - 1];
    skip[row] = true;
    out.rejected.push_back({rows.lines[row], Field(copied.get(), PG_DIAG_MESSAGE_PRIMARY) + " (SQLSTATE " + state + ")"});
    if (static_cast<int64_t>(out.rejected.size()) > request.options->max_error) {
      Exec(conn_, "ROLLBACK");
      return too_many();
    }
    ResultPtr back = Exec(conn_, "ROLLBACK TO SAVEPOINT load");
    if (PQresultStatus(back.get()) != PGRES_COMMAND_OK) return fail(back.get());
  }
  const std::string loaded = std::to_string(out.rows_loaded), rejected = std::to_string(out.rejected.size());
  const char* count_params[] = {manifest.c_str(), loaded.c_str(), rejected.c_str()};
  ResultPtr counted = Exec(conn_,
                           "UPDATE hydrant_loaded_manifests SET rows_loaded = $2, rows_rejected = $3 WHERE manifest = $1",
                           count_params);
  if (PQresultStatus(counted.get()) != PGRES_COMMAND_OK) return fail(counted.get());
  ResultPtr committed = Exec(conn_, "COMMIT");
  if (PQresultStatus(committed.get()) != PGRES_COMMAND_OK) return fail(committed.get());
  return out;
}

}  // namespace hydrant::destination::redshift
