// GlueHandler: the AWSGlue operations of the Data Catalog (AWS JSON 1.1) over schema::GlueCatalog:
// CreateDatabase, GetDatabase, GetDatabases, DeleteDatabase, CreateTable, GetTable, GetTables,
// UpdateTable, DeleteTable, GetTableVersion, GetTableVersions. Requests are checked against
// Glue's API model first (ValidationException), then Glue's rules, with Glue's error types
// (EntityNotFoundException, AlreadyExistsException, InvalidInputException,
// ConcurrentModificationException).
#pragma once

#include <string>
#include <string_view>

#include "auth/authenticator.h"
#include "http/http_server.h"
#include "schema/glue_catalog.h"

namespace hydrant::api {

// Thread-safe.
class GlueHandler {
 public:
  GlueHandler(schema::GlueCatalog* catalog, std::string region, std::string account_id)
      : catalog_(catalog), region_(std::move(region)), account_id_(std::move(account_id)) {}

  // `operation` is the part of X-Amz-Target after "AWSGlue.". `caller`: the verified sender,
  // whose policy must allow glue:<operation> on the database or table (null when requests are
  // not authenticated).
  void Handle(std::string_view operation, const http::HttpRequest& request, http::Respond respond,
              const auth::Caller* caller = nullptr);

 private:
  schema::GlueCatalog* catalog_;
  const std::string region_;
  const std::string account_id_;
};

}  // namespace hydrant::api
