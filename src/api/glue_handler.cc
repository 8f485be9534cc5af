// GlueHandler: request bodies to GlueCatalog calls, answers and Glue's error types.
#include "api/glue_handler.h"

#include <boost/json.hpp>

#include "api/errors.h"
#include "api/model_validator.h"
#include "common/ids.h"

namespace hydrant::api {
namespace {

namespace json = boost::json;

// Glue's names for Hydrant's failures.
std::string_view GlueErrorType(const Status& status) {
  switch (status.code()) {
    case StatusCode::kNotFound: return "EntityNotFoundException";
    case StatusCode::kAlreadyExists: return "AlreadyExistsException";
    case StatusCode::kInvalidArgument: return "InvalidInputException";
    case StatusCode::kFailedPrecondition: return "ConcurrentModificationException";
    case StatusCode::kLimitExceeded: return "ResourceNumberLimitExceededException";
    case StatusCode::kValidation:
    case StatusCode::kMalformed: return AwsErrorType(status);
    default: return "InternalServiceException";
  }
}

http::HttpResponse GlueError(const Status& status, const std::string& request_id) {
  return JsonErrorResponse(GlueErrorType(status), AwsErrorHttpStatus(status), status.message(), request_id);
}

std::string Text(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : "";
}

// One page of `items` after NextToken (the index to start at, as text).
Result<json::array> Page(std::vector<json::object> items, const json::object& body, std::string* next_token) {
  size_t start = 0;
  if (const std::string token = Text(body, "NextToken"); !token.empty()) {
    if (token.find_first_not_of("0123456789") != std::string::npos || token.size() > 9) {
      return Status::InvalidArgument("Invalid pagination token");
    }
    start = std::stoul(token);
  }
  size_t max = 100;
  if (const json::value* m = body.if_contains("MaxResults"); m && m->is_int64()) max = static_cast<size_t>(m->get_int64());
  json::array page;
  for (size_t i = start; i < items.size() && page.size() < max; ++i) page.push_back(std::move(items[i]));
  if (start + page.size() < items.size()) *next_token = std::to_string(start + page.size());
  return page;
}

}  // namespace

void GlueHandler::Handle(std::string_view operation, const http::HttpRequest& request, http::Respond respond,
                         const auth::Caller* caller) {
  const std::string request_id = NewUuid();
  const ServiceModel& model = ServiceModel::Glue();
  if (!model.HasOperation(operation)) {
    return respond(JsonErrorResponse("UnknownOperationException", 400, "", request_id));
  }
  json::error_code ec;
  json::value parsed = json::parse(request.body.empty() ? std::string_view("{}") : request.body, ec);
  if (ec || !parsed.is_object()) {
    return respond(GlueError(Status::Malformed("Request body is not a JSON object."), request_id));
  }
  if (Status valid = model.ValidateInput(operation, parsed); !valid.ok()) return respond(GlueError(valid, request_id));
  const json::object& body = parsed.get_object();

  if (const std::string catalog_id = Text(body, "CatalogId"); !catalog_id.empty() && catalog_id != account_id_) {
    return respond(GlueError(Status::NotFound("Catalog " + catalog_id + " not found: this server holds the catalog of "
                                              "account " + account_id_ + "."),
                             request_id));
  }
  const json::object empty;
  auto member = [&](std::string_view key) -> const json::object& {
    const json::value* v = body.if_contains(key);
    return v && v->is_object() ? v->get_object() : empty;
  };
  std::string database = Text(body, "DatabaseName");
  if (operation == "CreateDatabase") database = Text(member("DatabaseInput"), "Name");
  if (operation == "GetDatabase" || operation == "DeleteDatabase") database = Text(body, "Name");
  std::string table = Text(body, "TableName");
  if (operation == "CreateTable" || operation == "UpdateTable") table = Text(member("TableInput"), "Name");
  if (operation == "GetTable" || operation == "DeleteTable") table = Text(body, "Name");
  if (caller) {
    const std::string arn = "arn:aws:glue:" + region_ + ":" + account_id_ + ":";
    const std::string resource = !table.empty()      ? arn + "table/" + database + "/" + table
                                 : !database.empty() ? arn + "database/" + database
                                                     : arn + "catalog";
    if (auto denied = caller->Denied("glue:" + std::string(operation), resource)) {
      return respond(JsonErrorResponse("AccessDeniedException", 400, *denied, request_id));
    }
  }

  json::object out;
  Status status;
  std::string next_token;
  if (operation == "CreateDatabase") {
    status = catalog_->CreateDatabase(member("DatabaseInput"));
  } else if (operation == "GetDatabase") {
    auto found = catalog_->GetDatabase(database);
    status = found.status();
    if (found.ok()) out["Database"] = std::move(*found);
  } else if (operation == "GetDatabases") {
    auto page = Page(catalog_->Databases(), body, &next_token);
    status = page.status();
    if (page.ok()) out["DatabaseList"] = std::move(*page);
  } else if (operation == "DeleteDatabase") {
    status = catalog_->DeleteDatabase(database);
  } else if (operation == "CreateTable") {
    status = catalog_->CreateTable(database, member("TableInput"));
  } else if (operation == "GetTable") {
    auto found = catalog_->GetTable(database, table);
    status = found.status();
    if (found.ok()) out["Table"] = std::move(*found);
  } else if (operation == "GetTables") {
    auto tables = catalog_->Tables(database, Text(body, "Expression"));
    status = tables.status();
    if (tables.ok()) {
      auto page = Page(std::move(*tables), body, &next_token);
      status = page.status();
      if (page.ok()) out["TableList"] = std::move(*page);
    }
  } else if (operation == "UpdateTable") {
    std::optional<std::string> version;
    if (const std::string v = Text(body, "VersionId"); !v.empty()) version = v;
    const json::value* skip = body.if_contains("SkipArchive");
    status = catalog_->UpdateTable(database, member("TableInput"), version, skip && skip->is_bool() && skip->get_bool());
  } else if (operation == "DeleteTable") {
    status = catalog_->DeleteTable(database, table);
  } else if (operation == "GetTableVersion") {
    std::optional<std::string> version;
    if (const std::string v = Text(body, "VersionId"); !v.empty()) version = v;
    auto found = catalog_->GetTableVersion(database, table, version);
    status = found.status();
    if (found.ok()) out["TableVersion"] = std::move(*found);
  } else if (operation == "GetTableVersions") {
    auto versions = catalog_->TableVersions(database, table);
    status = versions.status();
    if (versions.ok()) {
      auto page = Page(std::move(*versions), body, &next_token);
      status = page.status();
      if (page.ok()) out["TableVersions"] = std::move(*page);
    }
  }
  if (!status.ok()) return respond(GlueError(status, request_id));
  if (!next_token.empty()) out["NextToken"] = next_token;
  http::HttpResponse res;
  res.SetHeader("Content-Type", "application/x-amz-json-1.1");
  res.SetHeader("x-amzn-RequestId", request_id);
  res.body = json::serialize(out);
  respond(std::move(res));
}

}  // namespace hydrant::api
