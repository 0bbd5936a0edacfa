#include "docker/json_mapping.h"

#include <algorithm>

namespace medic::docker {

namespace {

using nlohmann::json;

const json* field(const json& doc, const char* key) {
  if (!doc.is_object()) return nullptr;
  auto it = doc.find(key);
  return it == doc.end() ? nullptr : &*it;
}

std::string str(const json& doc, const char* key) {
  const json* f = field(doc, key);
  return f && f->is_string() ? f->get<std::string>() : std::string();
}

int64_t i64(const json& doc, const char* key) {
  const json* f = field(doc, key);
  if (!f) return 0;
  if (f->is_number_integer()) return f->get<int64_t>();
  if (f->is_number_unsigned()) return static_cast<int64_t>(f->get<uint64_t>());
  if (f->is_number_float()) return static_cast<int64_t>(f->get<double>());
  return 0;
}

uint64_t u64(const json& doc, const char* key) {
  const json* f = field(doc, key);
  if (!f) return 0;
  if (f->is_number_unsigned()) return f->get<uint64_t>();
  if (f->is_number_integer()) return static_cast<uint64_t>(std::max<int64_t>(0, f->get<int64_t>()));
  return 0;
}

bool boolean(const json& doc, const char* key) {
  const json* f = field(doc, key);
  return f && f->is_boolean() && f->get<bool>();
}

const json& object(const json& doc, const char* key) {
  static const json kEmpty = json::object();
  const json* f = field(doc, key);
  return f && f->is_object() ? *f : kEmpty;
}

Labels stringMap(const json& doc) {
  Labels out;
  if (!doc.is_object()) return out;
  for (const auto& [k, v] : doc.items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

std::string stripSlash(std::string name) {
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  return name;
}

Error shapeError(const char* what) {
  return Error::make(ErrorKind::kEngine,
                     std::string("the Docker engine returned an unexpected document for ") + what +
                         " (expected a JSON object)");
}

}  // namespace

Result<nlohmann::json> parseJsonBody(std::string_view body, int max_depth) {
  bool too_deep = false;
  json::parser_callback_t guard = [&](int depth, json::parse_event_t, json&) {
    if (depth > max_depth) too_deep = true;
    return !too_deep;
  };
  json doc = json::parse(body.begin(), body.end(), guard, /*allow_exceptions=*/false);
  if (too_deep) {
    return Error::make(ErrorKind::kEngine, "the Docker engine returned JSON nested deeper than " +
                                               std::to_string(max_depth) + " levels");
  }
  if (doc.is_discarded()) {
    std::string excerpt(body.substr(0, 200));
    return Error::make(ErrorKind::kEngine,
                       "the Docker engine returned malformed JSON: '" + excerpt + "'");
  }
  return doc;
}

Result<VersionInfo> versionInfoFromJson(const json& doc) {
  if (!doc.is_object()) return shapeError("GET /version");
  VersionInfo v;
  v.version = str(doc, "Version");
  v.api_version = str(doc, "ApiVersion");
  v.min_api_version = str(doc, "MinAPIVersion");
  v.os = str(doc, "Os");
  return v;
}

Result<ContainerSummary> containerSummaryFromJson(const json& doc) {
  if (!doc.is_object()) return shapeError("a container list entry");
  ContainerSummary s;
  s.id = str(doc, "Id");
  if (const json* names = field(doc, "Names"); names && names->is_array()) {
    // The primary name is the one without a further '/' (others are legacy link aliases).
    for (const auto& n : *names) {
      if (!n.is_string()) continue;
      std::string name = stripSlash(n.get<std::string>());
      if (s.name.empty() ||
          (s.name.find('/') != std::string::npos && name.find('/') == std::string::npos)) {
        s.name = name;
      }
    }
  }
  s.image = str(doc, "Image");
  s.image_id = str(doc, "ImageID");
  s.state = str(doc, "State");
  s.status = str(doc, "Status");
  s.labels = stringMap(object(doc, "Labels"));
  s.created = i64(doc, "Created");
  return s;
}

Result<std::vector<ContainerSummary>> containerSummariesFromJson(const json& doc) {
  if (!doc.is_array()) {
    return Error::make(
        ErrorKind::kEngine,
        "the Docker engine returned an unexpected container list (expected an array)");
  }
  std::vector<ContainerSummary> out;
  out.reserve(doc.size());
  for (const auto& entry : doc) {
    auto s = containerSummaryFromJson(entry);
    if (!s) return s.error();
    out.push_back(std::move(s).value());
  }
  return out;
}

Result<ContainerInfo> containerInfoFromJson(const json& doc) {
  if (!doc.is_object()) return shapeError("a container inspect");
  ContainerInfo info;
  info.id = str(doc, "Id");
  info.name = stripSlash(str(doc, "Name"));
  const json& config = object(doc, "Config");
  info.image = str(config, "Image");
  info.image_id = str(doc, "Image");
  info.created = str(doc, "Created");
  info.restart_count = static_cast<int>(i64(doc, "RestartCount"));
  info.labels = stringMap(object(config, "Labels"));

  const json& state = object(doc, "State");
  ContainerState& st = info.state;
  st.status = str(state, "Status");
  st.running = boolean(state, "Running");
  st.paused = boolean(state, "Paused");
  st.restarting = boolean(state, "Restarting");
  st.oom_killed = boolean(state, "OOMKilled");
  st.dead = boolean(state, "Dead");
  st.pid = static_cast<int>(i64(state, "Pid"));
  st.exit_code = static_cast<int>(i64(state, "ExitCode"));
  st.error = str(state, "Error");
  st.started_at = str(state, "StartedAt");
  st.finished_at = str(state, "FinishedAt");
  if (const json* health = field(state, "Health"); health && health->is_object()) {
    st.health = str(*health, "Status");
    st.failing_streak = static_cast<int>(i64(*health, "FailingStreak"));
    if (const json* log = field(*health, "Log"); log && log->is_array()) {
      for (const auto& entry : *log) {
        if (!entry.is_object()) continue;
        st.health_log.push_back(HealthLogEntry{str(entry, "Start"), str(entry, "End"),
                                               static_cast<int>(i64(entry, "ExitCode")),
                                               str(entry, "Output")});
      }
    }
  }
  info.raw = doc;
  return info;
}

Result<Event> eventFromJson(const json& doc) {
  if (!doc.is_object()) return shapeError("an event");
  Event e;
  e.type = str(doc, "Type");
  e.action = str(doc, "Action");
  const json& actor = object(doc, "Actor");
  e.id = str(actor, "ID");
  e.attributes = stringMap(object(actor, "Attributes"));
  // Engines before API 1.22 only sent status/id; keep them working as a fallback.
  if (e.action.empty()) e.action = str(doc, "status");
  if (e.id.empty()) e.id = str(doc, "id");
  e.time = i64(doc, "time");
  e.time_nano = i64(doc, "timeNano");
  if (e.time_nano == 0) e.time_nano = e.time * 1'000'000'000;
  return e;
}

Result<ImageInfo> imageInfoFromJson(const json& doc) {
  if (!doc.is_object()) return shapeError("an image inspect");
  ImageInfo img;
  img.id = str(doc, "Id");
  if (const json* tags = field(doc, "RepoTags"); tags && tags->is_array()) {
    for (const auto& t : *tags) {
      if (t.is_string()) img.tags.push_back(t.get<std::string>());
    }
  }
  img.labels = stringMap(object(object(doc, "Config"), "Labels"));
  if (doc.contains("Config") && doc["Config"].is_object()) img.config = doc["Config"];
  return img;
}

Result<NetworkInfo> networkInfoFromJson(const json& doc) {
  if (!doc.is_object()) return shapeError("a network inspect");
  NetworkInfo net;
  net.id = str(doc, "Id");
  net.name = str(doc, "Name");
  net.driver = str(doc, "Driver");
  net.labels = stringMap(object(doc, "Labels"));
  net.raw = doc;
  return net;
}

Result<Stats> statsFromJson(const json& doc) {
  if (!doc.is_object()) return shapeError("container stats");
  Stats s;
  const json& cpu = object(doc, "cpu_stats");
  const json& pre = object(doc, "precpu_stats");
  uint64_t cpu_total = u64(object(cpu, "cpu_usage"), "total_usage");
  uint64_t pre_total = u64(object(pre, "cpu_usage"), "total_usage");
  uint64_t sys = u64(cpu, "system_cpu_usage");
  uint64_t pre_sys = u64(pre, "system_cpu_usage");
  uint64_t cpus = u64(cpu, "online_cpus");
  if (cpus == 0) {
    const json* per_cpu = field(object(cpu, "cpu_usage"), "percpu_usage");
    cpus = per_cpu && per_cpu->is_array() ? per_cpu->size() : 1;
  }
  s.cpu_seconds_total = static_cast<double>(cpu_total) / 1e9;  // total_usage is in nanoseconds
  if (pre_sys != 0 && sys > pre_sys && cpu_total >= pre_total) {
    double cpu_delta = static_cast<double>(cpu_total - pre_total);
    double sys_delta = static_cast<double>(sys - pre_sys);
    s.cpu_percent = cpu_delta / sys_delta * static_cast<double>(cpus) * 100.0;
  }
  const json& mem = object(doc, "memory_stats");
  const json& mem_stats = object(mem, "stats");
  uint64_t usage = u64(mem, "usage");
  uint64_t cache = 0;
  if (field(mem_stats, "total_inactive_file")) {
    cache = u64(mem_stats, "total_inactive_file");
  } else if (field(mem_stats, "inactive_file")) {
    cache = u64(mem_stats, "inactive_file");
  }
  s.memory_bytes = usage > cache ? usage - cache : 0;
  s.memory_limit_bytes = u64(mem, "limit");
  return s;
}

std::string engineMessage(std::string_view body) {
  auto doc = parseJsonBody(body);
  if (doc && doc->is_object()) {
    std::string message = str(*doc, "message");
    if (!message.empty()) return message;
  }
  std::string text(body.substr(0, 512));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text.empty() ? std::string("(no message)") : text;
}

}  // namespace medic::docker
