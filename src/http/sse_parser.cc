#include "http/sse_parser.h"

#include <charconv>

namespace medic::http {
namespace {

/// The value after "name:" with one leading space removed, when `line` is that field.
std::optional<std::string_view> field(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line.substr(0, name.size()) != name ||
      line[name.size()] != ':') {
    if (line == name) return std::string_view();  // "data" alone: an empty value
    return std::nullopt;
  }
  auto v = line.substr(name.size() + 1);
  if (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  return v;
}

}  // namespace

std::optional<SseEvent> SseParser::feedLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) {
    std::optional<SseEvent> out;
    if (has_data_) out = SseEvent{std::move(data_), id_};
    data_.clear();
    has_data_ = false;
    id_.reset();
    return out;
  }
  if (line.front() == ':') return std::nullopt;  // a comment (keep-alive)
  if (auto v = field(line, "data")) {
    if (has_data_) data_ += '\n';
    data_.append(v->data(), v->size());
    has_data_ = true;
  } else if (auto id = field(line, "id")) {
    int64_t n = 0;
    const auto [end, ec] = std::from_chars(id->data(), id->data() + id->size(), n);
    id_ = ec == std::errc() && end == id->data() + id->size() ? std::optional<int64_t>(n)
                                                               : std::nullopt;
  }
  return std::nullopt;
}

}  // namespace medic::http
