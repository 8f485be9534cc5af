// The Redshift destination's configuration: RedshiftDestinationConfiguration (parse, the
// service's rules and defaults, UpdateDestination's merge, Describe). Stored as configured;
// defaults are applied when it is read. S3Configuration is the intermediate bucket (the legacy S3
// shape): its BufferingHints are the stream's, its objects are what COPY loads.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "destination/redshift/copy_options.h"
#include "destination/redshift/postgres_loader.h"
#include "destination/s3/s3_config.h"

namespace hydrant::destination::redshift {

struct RedshiftDestination {
  Connection connection;              // ClusterJDBCURL, Username, Password
  std::string table;                  // CopyCommand.DataTableName
  std::vector<std::string> columns;   // CopyCommand.DataTableColumns, split at commas
  CopyOptions copy;                   // CopyCommand.CopyOptions
  int64_t retry_seconds = 3600;       // RetryOptions.DurationInSeconds, 0-7200
  std::optional<boost::json::object> processing;
  // The intermediate bucket (S3Configuration), with S3BackupConfiguration as its backup when
  // S3BackupMode is Enabled.
  s3::S3Destination s3;
  bool operator==(const RedshiftDestination&) const = default;
};

Result<boost::json::object> FromCreateRequest(const boost::json::object& given);
Result<RedshiftDestination> Parse(const boost::json::object& stored);
Result<boost::json::object> MergeUpdate(const boost::json::object& stored, const boost::json::object& update);
// S3BackupMode cannot go from Enabled back to Disabled (the S3 kind's rule).
Status CheckChange(const RedshiftDestination& before, const RedshiftDestination& after);
// {"RedshiftDestinationDescription": {...}} with the defaults filled in; never the Password.
boost::json::object Describe(const boost::json::object& stored, const RedshiftDestination& parsed);

}  // namespace hydrant::destination::redshift
