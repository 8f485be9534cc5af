// JetStreamLog: a stream's record log in cluster mode, a JetStream stream replicated on the
// NATS servers (file storage, `replicas` copies) instead of a WAL on this node's disk.
//
// Each Append is one JetStream message holding its records (the length of each, then its
// bytes; the count, payload bytes and arrival time in headers), so a put is acknowledged when
// JetStream has stored all of its records, and none of them otherwise. A record's LogPosition
// is {message sequence, index in the message}; the position after a message's last record is
// {next sequence, 0}. Every node appends; the node that holds the stream's lanes follows the
// stream with a headers-only ordered consumer (its durable listener), reads batches back by
// sequence, and purges what was delivered (ReleaseBefore), which frees the stream's space.
#pragma once

#include <memory>
#include <string>

#include "cluster/nats_client.h"
#include "wal/wal.h"

namespace hydrant::cluster {

// The JetStream stream that holds a Hydrant stream's records, and its subject.
std::string LogStreamName(const std::string& stream);
std::string LogSubject(const std::string& stream);

// Creates the JetStream stream when it is missing (idempotent) and opens it.
Result<std::unique_ptr<wal::Wal>> OpenJetStreamLog(NatsClient* client, const std::string& stream);
// Deletes the JetStream stream and its records.
Status DeleteJetStreamLog(NatsClient* client, const std::string& stream);

}  // namespace hydrant::cluster
