#include "evidence/baseline.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "evidence/evidence.h"

namespace medic::evidence {

nlohmann::json BaselineService::toJson() const {
  return {{"name", name},     {"present", present},     {"container_name", container_name},
          {"image", image},   {"image_id", image_id},   {"env_hash", env_hash},
          {"ports", ports},   {"networks", networks},   {"labels_hash", labels_hash},
          {"health", health}, {"evidence", evidence_id}};
}

BaselineService BaselineService::fromJson(const nlohmann::json& j) {
  BaselineService s;
  s.name = j.value("name", "");
  s.present = j.value("present", false);
  s.container_name = j.value("container_name", "");
  s.image = j.value("image", "");
  s.image_id = j.value("image_id", "");
  s.env_hash = j.value("env_hash", "");
  s.ports = j.value("ports", std::vector<std::string>{});
  s.networks = j.value("networks", std::vector<std::string>{});
  s.labels_hash = j.value("labels_hash", "");
  s.health = j.value("health", "");
  s.evidence_id = j.value("evidence", "");
  return s;
}

nlohmann::json Baseline::toJson() const {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& s : services) arr.push_back(s.toJson());
  return {{"kind", "medic-baseline"},
          {"version", 1},
          {"taken", formatWallTime(taken)},
          {"taken_unix_ms", toUnixMillis(taken)},
          {"services", arr}};
}

Result<Baseline> Baseline::fromJson(const nlohmann::json& j) {
  if (!j.is_object() || j.value("kind", "") != "medic-baseline") {
    return Error::make(ErrorKind::kBadRequest,
                       "not a medic baseline (no \"kind\": \"medic-baseline\")");
  }
  if (!j.contains("services") || !j["services"].is_array()) {
    return Error::make(ErrorKind::kBadRequest, "baseline has no \"services\" list");
  }
  if (!j.contains("taken_unix_ms") || !j["taken_unix_ms"].is_number_integer()) {
    return Error::make(ErrorKind::kBadRequest, "baseline has no \"taken_unix_ms\" time");
  }
  Baseline b;
  b.taken = WallTime(Millis(j["taken_unix_ms"].get<int64_t>()));
  try {
    for (const auto& s : j["services"]) {
      if (!s.is_object() || !s.contains("name") || !s["name"].is_string()) {
        return Error::make(ErrorKind::kBadRequest, "baseline service entry without a name");
      }
      b.services.push_back(BaselineService::fromJson(s));
    }
  } catch (const nlohmann::json::exception& e) {
    return Error::make(ErrorKind::kBadRequest,
                       std::string("baseline entry malformed: ") + e.what());
  }
  std::sort(b.services.begin(), b.services.end(),
            [](const auto& a, const auto& c) { return a.name < c.name; });
  return b;
}

const BaselineService* Baseline::find(const std::string& name) const {
  for (const auto& s : services) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string BaselineDifference::describe() const {
  std::string text = service + ": " + kind;
  if (!before.empty() || !after.empty()) {
    text += ": " + (before.empty() ? std::string("-") : before) + " -> " +
            (after.empty() ? std::string("-") : after);
  }
  return text;
}

nlohmann::json BaselineDifference::toJson() const {
  return {{"service", service},
          {"kind", kind},
          {"before", before},
          {"after", after},
          {"text", describe()}};
}

namespace {

std::string shortId(const std::string& id) {
  const std::string_view v(id);
  const auto colon = v.find(':');
  const auto hex = colon == std::string_view::npos ? v : v.substr(colon + 1);
  return std::string(hex.substr(0, 12));
}

std::string imageText(const BaselineService& s) {
  return fmt::format("{} ({})", s.image, shortId(s.image_id));
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out.empty() ? "none" : out;
}

}  // namespace

std::vector<BaselineDifference> diffBaseline(const Baseline& recorded, const Baseline& current) {
  std::map<std::string, std::pair<const BaselineService*, const BaselineService*>> all;
  for (const auto& s : recorded.services) all[s.name].first = &s;
  for (const auto& s : current.services) all[s.name].second = &s;
  std::vector<BaselineDifference> out;
  for (const auto& [name, pair] : all) {
    const auto* before = pair.first;
    const auto* after = pair.second;
    const bool was = before != nullptr && before->present;
    const bool is = after != nullptr && after->present;
    if (was && !is) {
      out.push_back({name, "missing_service", imageText(*before), "no container"});
      continue;
    }
    if (!was && is) {
      out.push_back({name, "new_service",
                     before == nullptr ? "not in the baseline" : "no container",
                     imageText(*after)});
      continue;
    }
    if (!was && !is) {
      if (before == nullptr)
        out.push_back({name, "new_service", "not in the baseline", "no container"});
      continue;
    }
    if (before->image_id != after->image_id) {
      out.push_back({name, "changed_image", imageText(*before), imageText(*after)});
    }
    if (before->env_hash != after->env_hash) {
      out.push_back({name, "changed_env", shortId(before->env_hash), shortId(after->env_hash)});
    }
    if (before->ports != after->ports) {
      out.push_back({name, "changed_ports", joined(before->ports), joined(after->ports)});
    }
    if (before->networks != after->networks) {
      out.push_back({name, "changed_networks", joined(before->networks), joined(after->networks)});
    }
    if (before->labels_hash != after->labels_hash) {
      out.push_back(
          {name, "changed_labels", shortId(before->labels_hash), shortId(after->labels_hash)});
    }
    if (before->health != after->health) {
      out.push_back({name, "health_changed", before->health, after->health});
    }
  }
  return out;
}

std::string hashSorted(std::vector<std::string> entries) {
  std::sort(entries.begin(), entries.end());
  std::string joined_entries;
  for (const auto& e : entries) joined_entries += e + "\n";
  return "sha256:" + sha256Hex(joined_entries);
}

}  // namespace medic::evidence
