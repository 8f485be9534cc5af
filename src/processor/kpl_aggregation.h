// Decoder for KPL-aggregated records (the Kinesis Producer Library's aggregation format):
// magic F3 89 9A C2, a protobuf AggregatedRecord, then the MD5 of the protobuf bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hydrant::processor {

inline constexpr std::string_view kKplMagic = "\xF3\x89\x9A\xC2";

// The user records of a KPL aggregate, in order, or nullopt when `data` is not one: no magic,
// too short, MD5 mismatch or undecodable protobuf. Like the KCL, callers treat a record that
// is not a valid aggregate as an ordinary record.
//   message AggregatedRecord { repeated string partition_key_table = 1;
//                              repeated string explicit_hash_key_table = 2;
//                              repeated Record records = 3; }
//   message Record { required uint64 partition_key_index = 1;
//                    optional uint64 explicit_hash_key_index = 2;
//                    required bytes data = 3; repeated Tag tags = 4; }
std::optional<std::vector<std::string>> DecodeKplAggregate(std::string_view data);

}  // namespace hydrant::processor
