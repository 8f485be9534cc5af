// The names a cluster keeps its state under: in the key-value bucket
//   streams.<token>            a stream's metadata (stream.json)
//   leases.<token>             which node runs the stream's lanes: {"node","term"}
//   journals.<token>.<lane>    a lane's delivery journal (in the bucket <bucket>-journals)
//   nodes.<node token>         a node's heartbeat
//   functions.<token>          a Lambda function: {"definition", "zip" (base64, when it has one)}
//   glue.<db>[.<table>]        a Glue database (database.json) or table ({"versions": [...]})
// and the JetStream stream of each stream's records (jetstream_log.h). A token is the name
// in lowercase hex: stream names may hold '.', which separates a key's parts.
#pragma once

#include <string>
#include <string_view>

namespace hydrant::cluster {

inline std::string KeyToken(std::string_view name) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(name.size() * 2);
  for (unsigned char c : name) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

inline std::string NameOfToken(std::string_view token) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string out;
  for (size_t i = 0; i + 1 < token.size(); i += 2) out += static_cast<char>(nibble(token[i]) << 4 | nibble(token[i + 1]));
  return out;
}

inline std::string StreamKey(std::string_view stream) { return "streams." + KeyToken(stream); }
inline std::string LeaseKey(std::string_view stream) { return "leases." + KeyToken(stream); }
inline std::string JournalKey(std::string_view stream, std::string_view lane) {
  return "journals." + KeyToken(stream) + "." + std::string(lane);
}
inline std::string NodeKey(std::string_view node) { return "nodes." + KeyToken(node); }
inline std::string GlueKey(std::string_view database, std::string_view table) {
  return "glue." + KeyToken(database) + (table.empty() ? "" : "." + KeyToken(table));
}
inline std::string FunctionKey(std::string_view function) { return "functions." + KeyToken(function); }

}  // namespace hydrant::cluster
