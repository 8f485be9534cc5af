// What a stream's delivery to its destination counts, and the /metrics families a kind shows
// those counts under (its CloudWatch DeliveryTo<Kind>.* metrics; docs/metrics.md has the table).
// The lane (stream/) keeps the counters; api/ renders each kind's families for its streams.
#pragma once

#include <cstdint>

namespace hydrant::destination {

struct DeliveryCounters {
  uint64_t records_to_destination = 0;   // records delivered, after processing
  uint64_t bytes_to_destination = 0;     // their bytes (before compression and encoding)
  uint64_t attempts_succeeded = 0;       // the destination's sends, retries included
  uint64_t attempts_failed = 0;
  uint64_t records_attempted = 0;        // records sent to the destination, retries included
  uint64_t bytes_attempted = 0;          // their bytes on the wire
  uint64_t records_delivery_failed = 0;  // failed for good: written to the kind's error output
  uint64_t objects_written = 0;          // S3 objects written beside the destination's sends
  uint64_t s3_writes_succeeded = 0;      // (error output, backups, partitions), and their
  uint64_t s3_writes_failed = 0;         // attempts
  int64_t data_freshness_millis = 0;     // age of the oldest undelivered record; 0 when none
  int64_t ack_latency_millis = 0;        // the last delivery's acknowledgement latency (Splunk)
  uint64_t staged_objects = 0;           // objects staged in S3 before a load (Redshift), and
  uint64_t staged_records = 0;           // the records and bytes in them
  uint64_t staged_bytes = 0;
  uint64_t rows_rejected = 0;            // rows skipped within MAXERROR (Redshift)
};

// One Prometheus family: a snake_case name with the unit suffix Prometheus expects, and the
// CloudWatch name in its help.
struct MetricFamily {
  const char* name;
  bool gauge;  // else a counter
  const char* help;  // nullptr: another kind's family (its help is shown), reported for this kind too
  uint64_t (*value)(const DeliveryCounters&);
  bool millis_as_seconds = false;  // value is milliseconds, shown as decimal seconds
};

}  // namespace hydrant::destination
