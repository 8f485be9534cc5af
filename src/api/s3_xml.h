// S3Xml: the little XML the S3 API needs: escaping for responses written by hand, and a
// tolerant reader for the few request bodies (Delete, CompleteMultipartUpload,
// CreateBucketConfiguration). Not a general XML parser.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hydrant::api {

inline constexpr char kS3Xmlns[] = "http://s3.amazonaws.com/doc/2006-03-01/";
inline constexpr char kXmlDeclaration[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

// Escapes & < > " ' and writes control characters (and CR, which XML readers would
// normalise away) as numeric character references.
std::string XmlEscape(std::string_view text);

// Appends <name>XmlEscape(value)</name>.
void AppendXmlElement(std::string* out, std::string_view name, std::string_view value);

// The raw contents of every element called `name` in `xml`, in document order; an empty
// element (<Key/>) gives "". Elements of that name must not nest. nullopt if an element is
// opened but never closed.
std::optional<std::vector<std::string_view>> XmlElements(std::string_view xml,
                                                         std::string_view name);

// The text of raw element contents: CDATA sections kept verbatim, entities (&amp; &lt; &gt;
// &quot; &apos; &#N; &#xN;) decoded. nullopt on an unknown entity or a stray '<' or '&'.
std::optional<std::string> XmlText(std::string_view raw);

}  // namespace hydrant::api
