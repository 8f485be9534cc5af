// Redshift kind: configuration rules, COPY options, and reading rows as Redshift's COPY would.
// Loads into a real PostgreSQL are tested end to end (tests/e2e/test_redshift.py).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "destination/redshift/copy_options.h"
#include "destination/redshift/load_rows.h"
#include "destination/redshift/postgres_loader.h"
#include "destination/redshift/redshift_config.h"
#include "destination/redshift/redshift_delivery.h"

namespace hydrant::destination::redshift {
namespace {

namespace json = boost::json;

json::object Config(json::object overrides = {}) {
  json::object c{{"RoleARN", "arn:aws:iam::123456789012:role/r"},
                 {"ClusterJDBCURL", "jdbc:postgresql://127.0.0.1:5432/analytics"},
                 {"CopyCommand", {{"DataTableName", "events"}, {"CopyOptions", "JSON 'auto'"}}},
                 {"Username", "loader"},
                 {"Password", "secret-pass"},
                 {"S3Configuration", {{"RoleARN", "arn:aws:iam::123456789012:role/r"},
                                      {"BucketARN", "arn:aws:s3:::staging"},
                                      {"Prefix", "redshift/"}}}};
  for (auto& [k, v] : overrides) c[k] = v;
  return c;
}

Result<RedshiftDestination> ParseGiven(json::object given) {
  auto stored = FromCreateRequest(given);
  if (!stored.ok()) return stored.status();
  return Parse(*stored);
}

TEST(RedshiftConfigTest, DefaultsAndConnection) {
  auto d = ParseGiven(Config());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->retry_seconds, 3600);
  EXPECT_EQ(d->connection.host, "127.0.0.1");
  EXPECT_EQ(d->connection.port, "5432");
  EXPECT_EQ(d->connection.database, "analytics");
  EXPECT_EQ(d->connection.user, "loader");
  EXPECT_EQ(d->table, "events");
  EXPECT_EQ(d->copy.format, InputFormat::kJson);
  EXPECT_EQ(d->s3.bucket, "staging");
  EXPECT_EQ(d->s3.buffering.size_mb, 5);
  EXPECT_EQ(d->s3.buffering.interval_seconds, 300);
}

TEST(RedshiftConfigTest, JdbcUrls) {
  auto redshift = ParseJdbcUrl("jdbc:redshift://cluster.abc.us-east-1.redshift.amazonaws.com:5439/dev");
  ASSERT_TRUE(redshift.ok());
  EXPECT_EQ(redshift->port, "5439");
  auto default_port = ParseJdbcUrl("jdbc:postgresql://db.internal/warehouse?sslmode=require");
  ASSERT_TRUE(default_port.ok());
  EXPECT_EQ(default_port->port, "5432");
  EXPECT_EQ(default_port->sslmode, "require");
  EXPECT_FALSE(ParseJdbcUrl("jdbc:mysql://h:1/db").ok());
  EXPECT_FALSE(ParseJdbcUrl("jdbc:postgresql://h:port/db").ok());
  EXPECT_FALSE(ParseJdbcUrl("jdbc:postgresql://h:5432").ok());
}

TEST(RedshiftConfigTest, TheServicesRules) {
  auto message = [](json::object overrides) {
    auto d = ParseGiven(Config(std::move(overrides)));
    return d.ok() ? std::string("ok") : d.status().message();
  };
  json::object s3{{"RoleARN", "r"}, {"BucketARN", "arn:aws:s3:::staging"}};
  json::object snappy = s3;
  snappy["CompressionFormat"] = "Snappy";
  EXPECT_NE(message({{"S3Configuration", snappy}}).find("UNCOMPRESSED or GZIP"), std::string::npos);
  json::object gzip = s3;
  gzip["CompressionFormat"] = "GZIP";
  EXPECT_NE(message({{"S3Configuration", gzip}}).find("must include GZIP"), std::string::npos);
  EXPECT_EQ(message({{"S3Configuration", gzip},
                     {"CopyCommand", {{"DataTableName", "t"}, {"CopyOptions", "json 'auto' gzip"}}}}),
            "ok");
  json::object expression = s3;
  expression["Prefix"] = "p/!{timestamp:yyyy}/";
  expression["ErrorOutputPrefix"] = "e/!{firehose:error-output-type}/";
  EXPECT_NE(message({{"S3Configuration", expression}}).find("cannot contain expressions"), std::string::npos);
  EXPECT_NE(message({{"CopyCommand", {{"DataTableName", "t"}, {"CopyOptions", "FIXEDWIDTH 'a:3'"}}}}).find("FIXEDWIDTH"),
            std::string::npos);
  EXPECT_NE(message({{"Password", ""}}).find("Password"), std::string::npos);
  EXPECT_NE(message({{"S3BackupMode", "Enabled"}}).find("S3BackupConfiguration is required"), std::string::npos);
  EXPECT_NE(message({{"RetryOptions", {{"DurationInSeconds", 7201}}}}).find("DurationInSeconds"), std::string::npos);
}

TEST(RedshiftConfigTest, DescribeNeverShowsThePassword) {
  json::object given = Config({{"S3BackupMode", "Enabled"},
                               {"S3BackupConfiguration", {{"RoleARN", "r"}, {"BucketARN", "arn:aws:s3:::backup"}}}});
  auto stored = FromCreateRequest(given);
  ASSERT_TRUE(stored.ok());
  auto d = Parse(*stored);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_TRUE(d->s3.backup);
  EXPECT_EQ(d->s3.backup->bucket, "backup");
  json::object described = Describe(*stored, *d).at("RedshiftDestinationDescription").as_object();
  EXPECT_FALSE(described.contains("Password"));
  EXPECT_EQ(described.at("Username"), "loader");
  EXPECT_EQ(described.at("RetryOptions").at("DurationInSeconds"), 3600);
  EXPECT_EQ(described.at("S3BackupMode"), "Enabled");
  EXPECT_EQ(described.at("S3BackupDescription").at("BucketARN"), "arn:aws:s3:::backup");
  EXPECT_EQ(described.at("S3DestinationDescription").at("BucketARN"), "arn:aws:s3:::staging");
}

TEST(RedshiftConfigTest, UpdateMergesCopyCommandAndBackup) {
  auto stored = FromCreateRequest(Config());
  ASSERT_TRUE(stored.ok());
  json::object update{{"CopyCommand", {{"CopyOptions", "JSON 'auto ignorecase'"}}},
                      {"Password", "another-pass"},
                      {"S3Update", {{"BufferingHints", {{"SizeInMBs", 1}, {"IntervalInSeconds", 60}}}}}};
  auto merged = MergeUpdate(*stored, update);
  ASSERT_TRUE(merged.ok());
  auto d = Parse(*merged);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->table, "events");
  EXPECT_EQ(d->copy.json, JsonMapping::kAutoIgnoreCase);
  EXPECT_EQ(d->connection.password, "another-pass");
  EXPECT_EQ(d->s3.buffering.size_mb, 1);
}

TEST(CopyOptionsTest, ParsesWhatRedshiftUsersWrite) {
  auto o = ParseCopyOptions("format as json 's3://cfg/paths.json' gzip maxerror 5 timeformat 'epochmillisecs' "
                            "ACCEPTINVCHARS AS '^' TRUNCATECOLUMNS region 'us-east-1' compupdate off;");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->json, JsonMapping::kJsonPaths);
  EXPECT_EQ(o->jsonpaths_url, "s3://cfg/paths.json");
  EXPECT_TRUE(o->gzip);
  EXPECT_EQ(o->max_error, 5);
  EXPECT_EQ(o->time_format, "epochmillisecs");
  EXPECT_EQ(o->accept_inv_chars, '^');
  EXPECT_TRUE(o->truncate_columns);

  auto csv = ParseCopyOptions("CSV QUOTE AS '''' IGNOREHEADER 1 NULL AS 'NA' EMPTYASNULL");
  ASSERT_TRUE(csv.ok()) << csv.status().ToString();
  EXPECT_EQ(csv->format, InputFormat::kCsv);
  EXPECT_EQ(csv->quote, '\'');
  EXPECT_EQ(csv->delimiter, ',');
  EXPECT_EQ(csv->ignore_header, 1);
  EXPECT_EQ(csv->null_as, "NA");

  auto tab = ParseCopyOptions("delimiter '\\t' escape");
  ASSERT_TRUE(tab.ok());
  EXPECT_EQ(tab->delimiter, '\t');
  EXPECT_TRUE(tab->escape);
  EXPECT_EQ(tab->null_as, "\\N");
  auto plain = ParseCopyOptions("");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->delimiter, '|');
}

TEST(CopyOptionsTest, RefusesWhatHydrantDoesNotDoByName) {
  for (const char* option : {"LZOP", "FIXEDWIDTH", "REMOVEQUOTES", "FILLRECORD", "AVRO", "MANIFEST", "EXPLICIT_IDS"}) {
    auto o = ParseCopyOptions(std::string(option) + " 'x'");
    ASSERT_FALSE(o.ok()) << option;
    EXPECT_EQ(o.status().message(), std::string("CopyOptions: ") + option + " is not supported by Hydrant");
  }
  EXPECT_FALSE(ParseCopyOptions("JSON 'auto' CSV").ok());
  EXPECT_FALSE(ParseCopyOptions("JSON 'auto' DELIMITER ','").ok());
  EXPECT_FALSE(ParseCopyOptions("CSV ESCAPE").ok());
  EXPECT_FALSE(ParseCopyOptions("JSON 'nope'").ok());
  EXPECT_FALSE(ParseCopyOptions("MAXERROR lots").ok());
  EXPECT_FALSE(ParseCopyOptions("DELIMITER 'ab'").ok());
  EXPECT_FALSE(ParseCopyOptions("JSON 'auto'; GZIP").ok());
}

std::vector<Column> Columns() {
  return {{"id", ColumnType::kOther, 0},
          {"name", ColumnType::kText, 5},
          {"at", ColumnType::kTimestamp, 0},
          {"day", ColumnType::kDate, 0}};
}

CopyOptions Options(std::string_view text) {
  auto o = ParseCopyOptions(text);
  EXPECT_TRUE(o.ok()) << o.status().ToString();
  return *o;
}

std::vector<std::string> RowsOf(const LoadRows& rows) {
  std::vector<std::string> out;
  for (size_t i = 0; i < rows.size(); ++i) out.emplace_back(rows.row(i));
  return out;
}

TEST(LoadRowsTest, JsonAutoMatchesKeysCaseSensitively) {
  auto rows = ReadRows("{\"id\": 1, \"Name\": \"Ann\", \"day\": \"2026-12-06\"}\n"
                       "{\"id\":12345678901234567890.25,\"name\":\"Bo \\\"B\\\"\",\"extra\":{\"a\":[1]}}",
                       Options("JSON 'auto'"), Columns());
  EXPECT_EQ(RowsOf(rows), (std::vector<std::string>{"\"1\",,,\"2026-12-06\"\n",
                                                    "\"12345678901234567890.25\",\"Bo \"\"B\"\"\",,\n"}));
  EXPECT_EQ(rows.lines, (std::vector<int64_t>{1, 2}));
  auto ignorecase = ReadRows("{\"ID\": 1, \"NAME\": \"Ann\"}", Options("JSON 'auto ignorecase'"), Columns());
  EXPECT_EQ(RowsOf(ignorecase), (std::vector<std::string>{"\"1\",\"Ann\",,\n"}));
}

TEST(LoadRowsTest, JsonNestedValuesLoadAsTheirJsonText) {
  std::vector<Column> one{{"doc", ColumnType::kText, 0}, {"flag", ColumnType::kOther, 0}};
  auto rows = ReadRows("{\"doc\": {\"a\": [1, 2]}, \"flag\": true}", Options("JSON 'auto'"), one);
  EXPECT_EQ(RowsOf(rows), (std::vector<std::string>{"\"{\"\"a\"\": [1, 2]}\",\"true\"\n"}));
}

TEST(LoadRowsTest, BadJsonIsRejectedPerRowWithItsLine) {
  auto rows = ReadRows("{\"id\":1}\nnot json\n{\"id\":2,}\n{\"id\":3}", Options("JSON 'auto'"), Columns());
  EXPECT_EQ(rows.size(), 2u);
  ASSERT_EQ(rows.rejected.size(), 2u);
  EXPECT_EQ(rows.rejected[0].line, 2);
  EXPECT_EQ(rows.rejected[1].line, 3);
  EXPECT_EQ(rows.lines, (std::vector<int64_t>{1, 4}));
  // Records need no newline between them; a stray character is one rejected row.
  auto joined = ReadRows("{\"id\":1}x{\"id\":2}", Options("JSON 'auto'"), Columns());
  EXPECT_EQ(joined.size(), 2u);
  EXPECT_EQ(joined.rejected.size(), 1u);
}

TEST(LoadRowsTest, JsonPaths) {
  auto pointers = ParseJsonPaths(R"({"jsonpaths": ["$.user.id", "$.tags[1]", "$['t']", "$.d"]})", 4);
  ASSERT_FALSE(pointers.ok());  // dot and bracket notation cannot be mixed in one file
  pointers = ParseJsonPaths(R"({"jsonpaths": ["$.user.id", "$.tags[1]", "$.t", "$.d"]})", 4);
  ASSERT_TRUE(pointers.ok()) << pointers.status().ToString();
  EXPECT_EQ(*pointers, (std::vector<std::string>{"/user/id", "/tags/1", "/t", "/d"}));
  auto rows = ReadRows(R"({"user":{"id":7},"tags":["a","b"],"t":"2026-01-02 03:04:05"} {"user":{},"tags":["a"]})",
                       Options("JSON 's3://b/p.json'"), Columns(), *pointers);
  EXPECT_EQ(RowsOf(rows), (std::vector<std::string>{"\"7\",\"b\",\"2026-01-02 03:04:05\",\n"}));
  ASSERT_EQ(rows.rejected.size(), 1u);
  EXPECT_EQ(rows.rejected[0].reason, "Invalid JSONPath format: Not an array or index out of range.");
  EXPECT_FALSE(ParseJsonPaths(R"({"jsonpaths": ["$.a"]})", 2).ok());
  EXPECT_FALSE(ParseJsonPaths(R"({"paths": ["$.a"]})", 1).ok());
}

TEST(LoadRowsTest, DelimitedAndCsv) {
  auto piped = ReadRows("1|Ann|\\N|\n2|B|2026-01-01 00:00:00|2026-01-01\n3|too|few\n", Options(""), Columns());
  EXPECT_EQ(RowsOf(piped), (std::vector<std::string>{"\"1\",\"Ann\",,\n",
                                                     "\"2\",\"B\",\"2026-01-01 00:00:00\",\"2026-01-01\"\n"}));
  ASSERT_EQ(piped.rejected.size(), 1u);
  EXPECT_EQ(piped.rejected[0].line, 3);
  EXPECT_EQ(piped.rejected[0].reason, "Delimiter not found");

  auto csv = ReadRows("id,name,at,day\n1,\"A, \"\"x\"\"\",,\n2,\"multi\nline\",NA,\n",
                      Options("CSV IGNOREHEADER 1 NULL AS 'NA'"), Columns());
  EXPECT_EQ(RowsOf(csv), (std::vector<std::string>{"\"1\",\"A, \"\"x\"\"\",,\n", "\"2\",\"multi\nline\",,\n"}));
  EXPECT_EQ(csv.lines, (std::vector<int64_t>{2, 3}));
}

TEST(LoadRowsTest, ConversionRules) {
  std::vector<Column> text{{"s", ColumnType::kText, 3}, {"n", ColumnType::kOther, 0}};
  auto empty = ReadRows("|\n  |  \nabcdef|1\n", Options("EMPTYASNULL BLANKSASNULL TRUNCATECOLUMNS"), text);
  EXPECT_EQ(RowsOf(empty), (std::vector<std::string>{",\n", ",\n", "\"abc\",\"1\"\n"}));
  auto kept = ReadRows("|\n", Options(""), text);
  EXPECT_EQ(RowsOf(kept), (std::vector<std::string>{"\"\",\n"}));  // empty text stays, empty number is NULL
  auto invalid = ReadRows("a\xff\xfe" "b|1\n", Options("ACCEPTINVCHARS '~'"), std::vector<Column>{{"s", ColumnType::kText, 0}, {"n", ColumnType::kOther, 0}});
  EXPECT_EQ(RowsOf(invalid), (std::vector<std::string>{"\"a~~b\",\"1\"\n"}));
}

TEST(LoadRowsTest, TimeAndDateFormats) {
  std::vector<Column> times{{"at", ColumnType::kTimestamp, 0}, {"tz", ColumnType::kTimestampTz, 0}};
  auto secs = ReadRows("1700000000|1700000000.5\n", Options("TIMEFORMAT 'epochsecs'"), times);
  EXPECT_EQ(RowsOf(secs), (std::vector<std::string>{"\"2023-11-14 22:13:20.000000\",\"2023-11-14 22:13:20.500000+00\"\n"}));
  auto millis = ReadRows("{\"at\": 1700000000123}", Options("JSON 'auto' TIMEFORMAT 'epochmillisecs'"), times);
  EXPECT_EQ(RowsOf(millis), (std::vector<std::string>{"\"2023-11-14 22:13:20.123000\",\n"}));
  auto pattern = ReadRows("06/12/2026 01:02:03 PM|x\n", Options("TIMEFORMAT 'DD/MM/YYYY HH12:MI:SS AM'"), times);
  EXPECT_EQ(RowsOf(pattern).size(), 0u);  // the second value does not match either
  ASSERT_EQ(pattern.rejected.size(), 1u);
  EXPECT_NE(pattern.rejected[0].reason.find("Invalid timestamp format or value"), std::string::npos);
  auto good = ReadRows("06/12/2026 01:02:03 PM|\n", Options("TIMEFORMAT 'DD/MM/YYYY HH12:MI:SS AM'"), times);
  EXPECT_EQ(RowsOf(good), (std::vector<std::string>{"\"2026-12-06 13:02:03\",\n"}));
  std::vector<Column> dates{{"d", ColumnType::kDate, 0}};
  auto date = ReadRows("Dec 06 2026\n", Options("DATEFORMAT 'MON DD YYYY'"), dates);
  EXPECT_EQ(RowsOf(date), (std::vector<std::string>{"\"2026-12-06\"\n"}));
}

TEST(RedshiftDeliveryTest, ManifestAndErrorCodes) {
  EXPECT_EQ(Manifest("staging", "redshift/2026/12/06/16/s-1-x"),
            R"({"entries":[{"url":"s3://staging/redshift/2026/12/06/16/s-1-x","mandatory":true}]})");
  EXPECT_EQ(ErrorCodeFor("42P01"), "Redshift.TableNotFound");
  EXPECT_EQ(ErrorCodeFor("42703"), "Redshift.ColumnNotFound");
  EXPECT_EQ(ErrorCodeFor("22P02"), "Redshift.InvalidData");
  EXPECT_EQ(ErrorCodeFor("28P01"), "Redshift.AuthenticationFailed");
  EXPECT_EQ(ErrorCodeFor("57P01"), "Redshift.ConnectionFailed");
}

}  // namespace
}  // namespace hydrant::destination::redshift
