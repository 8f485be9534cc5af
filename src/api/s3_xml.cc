// S3Xml: escaping and the minimal element reader.
#include "api/s3_xml.h"

#include <charconv>
#include <cstdint>

namespace hydrant::api {
namespace {

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Position just past the opening tag <name ...> at or after `from`, or npos; *empty is set
// for a self-closing <name/>.
size_t FindOpening(std::string_view xml, std::string_view name, size_t from, size_t* tag_start,
                   bool* empty) {
  while (true) {
    size_t lt = xml.find('<', from);
    if (lt == std::string_view::npos) return lt;
    size_t after = lt + 1 + name.size();
    if (xml.substr(lt + 1, name.size()) == name && after < xml.size()) {
      char c = xml[after];
      if (c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        size_t gt = xml.find('>', after);
        if (gt == std::string_view::npos) return gt;
        *tag_start = lt;
        *empty = xml[gt - 1] == '/';
        return gt + 1;
      }
    }
    from = lt + 1;
  }
}

}  // namespace

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') || c == 0x7F) {
          out += "&#" + std::to_string(static_cast<unsigned char>(c)) + ";";
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

void AppendXmlElement(std::string* out, std::string_view name, std::string_view value) {
  out->append("<").append(name).append(">");
  out->append(XmlEscape(value));
  out->append("</").append(name).append(">");
}

std::optional<std::vector<std::string_view>> XmlElements(std::string_view xml,
                                                         std::string_view name) {
  std::vector<std::string_view> out;
  std::string closing = "</" + std::string(name) + ">";
  size_t pos = 0;
  while (true) {
    size_t tag_start = 0;
    bool empty = false;
    size_t open_end = FindOpening(xml, name, pos, &tag_start, &empty);
    if (open_end == std::string_view::npos) return out;
    if (empty) {
      out.emplace_back();
      pos = open_end;
      continue;
    }
    size_t close = xml.find(closing, open_end);
    if (close == std::string_view::npos) return std::nullopt;
    out.push_back(xml.substr(open_end, close - open_end));
    pos = close + closing.size();
  }
}

std::optional<std::string> XmlText(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '<') {
      constexpr std::string_view kCdataOpen = "<![CDATA[";
      if (raw.substr(i, kCdataOpen.size()) != kCdataOpen) return std::nullopt;
      size_t end = raw.find("]]>", i + kCdataOpen.size());
      if (end == std::string_view::npos) return std::nullopt;
      out.append(raw.substr(i + kCdataOpen.size(), end - i - kCdataOpen.size()));
      i = end + 2;
      continue;
    }
    if (c != '&') {
      out.push_back(c);
      continue;
    }
    size_t semi = raw.find(';', i);
    if (semi == std::string_view::npos) return std::nullopt;
    std::string_view entity = raw.substr(i + 1, semi - i - 1);
    if (entity == "amp") {
      out.push_back('&');
    } else if (entity == "lt") {
      out.push_back('<');
    } else if (entity == "gt") {
      out.push_back('>');
    } else if (entity == "quot") {
      out.push_back('"');
    } else if (entity == "apos") {
      out.push_back('\'');
    } else if (entity.size() >= 2 && entity[0] == '#') {
      bool hex = entity[1] == 'x' || entity[1] == 'X';
      std::string_view digits = entity.substr(hex ? 2 : 1);
      uint32_t cp = 0;
      auto [end, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
      if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
          cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return std::nullopt;
      }
      AppendUtf8(cp, &out);
    } else {
      return std::nullopt;
    }
    i = semi;
  }
  return out;
}

}  // namespace hydrant::api
