// GlueCatalog: the schema catalog (databases and their tables, every table version), as the Glue
// Data Catalog keeps it, persisted under <data-dir>/catalog/. Record format conversion reads a
// stream's table from it; api/glue_handler.cc serves it as the Glue API.
//
// Databases and tables are JSON objects in the shapes GetDatabase and GetTable answer with
// (Database, Table), built from the DatabaseInput / TableInput given. Names are stored in lower
// case, as Glue stores them, and looked up case-insensitively. Each CreateTable or UpdateTable
// writes a new version ("1", "2", ...); UpdateTable with SkipArchive replaces the latest instead.
//
// On disk: one folder per database (<hex of its name>/) with database.json, and one file per
// table (table-<hex of its name>.json: {"versions": [Table, ...]}), each written atomically.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/env.h"
#include "common/status.h"

namespace hydrant::schema {

// Errors: kNotFound (EntityNotFoundException), kAlreadyExists (AlreadyExistsException),
// kInvalidArgument (InvalidInputException), kFailedPrecondition (ConcurrentModificationException).
// Thread-safe.
class GlueCatalog {
 public:
  // `catalog_id`: the account id (CatalogId in answers).
  static Result<std::unique_ptr<GlueCatalog>> Open(Env* env, std::string dir, std::string catalog_id, Clock* clock);

  Status CreateDatabase(const boost::json::object& database_input);
  Result<boost::json::object> GetDatabase(std::string_view name) const;
  std::vector<boost::json::object> Databases() const;  // by name
  Status DeleteDatabase(std::string_view name);         // with its tables

  Status CreateTable(std::string_view database, const boost::json::object& table_input);
  // The latest version.
  Result<boost::json::object> GetTable(std::string_view database, std::string_view name) const;
  // The latest version of each table whose name matches `expression` (Glue's: '*' any run of
  // characters, '|' alternatives, case-insensitive; empty matches all), by name.
  Result<std::vector<boost::json::object>> Tables(std::string_view database, std::string_view expression = "") const;
  // `expected_version`: fails with kFailedPrecondition unless it is the latest version.
  Status UpdateTable(std::string_view database, const boost::json::object& table_input,
                     std::optional<std::string> expected_version, bool skip_archive);
  Status DeleteTable(std::string_view database, std::string_view name);
  // {"Table": ..., "VersionId": ...} of `version` ("LATEST" or nullopt: the latest).
  Result<boost::json::object> GetTableVersion(std::string_view database, std::string_view table,
                                              std::optional<std::string> version) const;
  // Every version, newest first, as GetTableVersion answers them.
  Result<std::vector<boost::json::object>> TableVersions(std::string_view database, std::string_view table) const;

  // Cluster mode: the catalog is shared by every node. The listener hears of each change made
  // through the methods above, as it is made (under the catalog's lock, so in order): a database
  // (`table` empty; `value` its database.json) or a table (`value` its {"versions": [...]}), with
  // nullopt when deleted; a database's deletion is told after each of its tables'. Apply makes a
  // change heard on another node here (the listener does not hear it again).
  struct Change {
    std::string database;
    std::string table;
    std::optional<std::string> value;
  };
  void SetChangeListener(std::function<void(const Change&)> listener);
  Status Apply(const Change& change);

 private:
  struct Table {
    std::vector<boost::json::object> versions;  // oldest first
  };
  struct Database {
    boost::json::object database;
    std::map<std::string, Table> tables;  // by lower-case name
  };

  GlueCatalog(Env* env, std::string dir, std::string catalog_id, Clock* clock)
      : env_(env), dir_(std::move(dir)), catalog_id_(std::move(catalog_id)), clock_(clock) {}
  Status Load();
  Result<Database*> FindDatabase(std::string_view name);
  Result<const Database*> FindDatabase(std::string_view name) const;
  Result<const Table*> FindTable(std::string_view database, std::string_view name) const;
  Status WriteTable(const std::string& database, const std::string& name, const Table& table);
  static std::string TableText(const Table& table);
  void Tell(const std::string& database, const std::string& table, std::optional<std::string> value) const {
    if (listener_) listener_(Change{database, table, std::move(value)});
  }
  // The stored Table of a TableInput: its members, lower-case names, times and ids.
  boost::json::object TableOf(const boost::json::object& input, const std::string& database, double create_time,
                              const std::string& version) const;

  Env* const env_;
  const std::string dir_;
  const std::string catalog_id_;
  Clock* const clock_;
  mutable std::mutex mu_;
  std::map<std::string, Database> databases_;  // by lower-case name
  std::function<void(const Change&)> listener_;  // set before the API serves
};

}  // namespace hydrant::schema
