#include "config/config.h"

#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "config/address.h"
#include "config/yaml_limits.h"
#include "core/duration.h"

namespace medic::config {
namespace {

constexpr size_t kMaxFileBytes = YamlLimits{}.max_bytes;  // 1 MiB
/// Upper bound for thresholds and budgets: a larger number is a typo, not a policy.
constexpr int kMaxCount = 1000;
/// DESIGN §4: observed state is re-listed at least every 60 s.
constexpr Millis kMaxResyncInterval{60 * 1000};

constexpr std::string_view kReservedSections[] = {"channels"};
constexpr std::string_view kProbeKinds[] = {"http", "tcp", "exec", "command", "docker"};

/// A value in the document with the key path and line to blame it on.
struct Value {
  YAML::Node node;
  YAML::Mark mark;
  std::string path;
};

struct Entry {
  std::string key;
  YAML::Mark key_mark;
  YAML::Node value;
};

/// Edit distance, for "did you mean" on unknown keys (keys are short: O(n*m) is fine).
size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string shown(const std::string& text) {
  constexpr size_t kMaxShown = 60;
  if (text.size() > kMaxShown) return "'" + text.substr(0, kMaxShown) + "...'";
  return "'" + text + "'";
}

/// What the operator wrote, for "expected X, got Y".
std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return shown(node.Scalar());
    default:
      return "nothing";
  }
}

std::string join(std::initializer_list<std::string_view> words) {
  std::string out;
  for (std::string_view w : words) {
    if (!out.empty()) out += ", ";
    out += w;
  }
  return out;
}

namespace {
bool isNamePart(const std::string& part) {
  if (part.empty() || part.size() > 128) return false;
  if (!std::isalnum(static_cast<unsigned char>(part[0]))) return false;
  return std::all_of(part.begin(), part.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}
}  // namespace

bool isServiceName(const std::string& name) {
  // "db", "shop/db" (compose project/service) or either with "#N" (replica N).
  std::string rest = name;
  if (auto hash = rest.rfind('#'); hash != std::string::npos) {
    const std::string n = rest.substr(hash + 1);
    if (n.empty() || n.size() > 6 || n.find_first_not_of("0123456789") != std::string::npos ||
        n[0] == '0') {
      return false;
    }
    rest.erase(hash);
  }
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    return isNamePart(rest.substr(0, slash)) && isNamePart(rest.substr(slash + 1));
  }
  return isNamePart(rest);
}

/// A URL for display: a password in it ("scheme://user:password@host") is dropped, so a default
/// probe or endpoint name never carries it into the status, metrics or logs.
std::string withoutPassword(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const size_t end = url.find_first_of("/?#", scheme + 3);
  const size_t at = url.rfind('@', end == std::string::npos ? url.size() : end);
  if (at == std::string::npos || at < scheme + 3) return url;
  const size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + url.substr(at);
}

class Parser;

/// The keys of one YAML map, checked against the keys allowed at that place.
class Fields {
 public:
  Fields(const Parser& parser, const Value& map, std::initializer_list<std::string_view> known);

  /// The entry when the key is written (even with a null value), else nullptr.
  const Entry* find(std::string_view key) const;
  /// The value when the key is written with a non-null value. A null value ("key:" or "key: ~")
  /// means "use the default", like an absent key.
  std::optional<Value> get(std::string_view key) const;

 private:
  const Parser& parser_;
  std::string path_;
  std::vector<Entry> entries_;
};

class Parser {
 public:
  explicit Parser(const std::string& source) : source_(source) {}

  Config parse(const YAML::Node& root);

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& path,
                         const std::string& what) const {
    std::string message = source_;
    if (!mark.is_null()) message += ":" + std::to_string(mark.line + 1);
    message += ": ";
    if (!path.empty()) message += path + ": ";
    throw ConfigError(message + what);
  }
  [[noreturn]] void fail(const Value& v, const std::string& what) const {
    fail(v.mark, v.path, what);
  }

  static std::string child(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

  /// Entries of a map in document order; rejects non-maps, non-string keys, duplicate keys and
  /// merge keys. A null value is an empty map.
  std::vector<Entry> entries(const Value& v) const {
    std::vector<Entry> out;
    if (v.node.IsNull()) return out;
    if (!v.node.IsMap()) fail(v, "expected a map of keys, got " + describe(v.node));
    std::set<std::string> seen;
    for (const auto& kv : v.node) {
      const YAML::Node& key = kv.first;
      if (!key.IsScalar())
        fail(key.Mark(), v.path, "keys must be plain names, got " + describe(key));
      const std::string& name = key.Scalar();
      if (name == "<<") {
        fail(key.Mark(), v.path,
             "YAML merge keys (<<) are not supported; write the keys out in full");
      }
      if (!seen.insert(name).second) {
        fail(key.Mark(), child(v.path, name),
             "key written twice in the same map; keep one (YAML would silently use only one)");
      }
      out.push_back(Entry{name, key.Mark(), kv.second});
    }
    return out;
  }

  Value valueOf(const Entry& e, const std::string& parent_path) const {
    // A null value ("key:") carries the mark of whatever follows it; blame the key instead.
    YAML::Mark mark = e.value.IsNull() ? e.key_mark : e.value.Mark();
    if (mark.is_null()) mark = e.key_mark;
    return Value{e.value, mark, child(parent_path, e.key)};
  }

  std::vector<Value> list(const Value& v) const {
    std::vector<Value> out;
    if (v.node.IsNull()) return out;
    if (!v.node.IsSequence()) fail(v, "expected a list, got " + describe(v.node));
    for (size_t i = 0; i < v.node.size(); ++i) {
      const YAML::Node item = v.node[i];
      YAML::Mark mark = item.Mark();
      if (mark.is_null()) mark = v.mark;
      out.push_back(Value{item, mark, v.path + "[" + std::to_string(i) + "]"});
    }
    return out;
  }

  std::string string(const Value& v) const {
    if (!v.node.IsScalar()) fail(v, "expected a text value, got " + describe(v.node));
    return v.node.Scalar();
  }

  std::string nonEmptyString(const Value& v) const {
    std::string s = string(v);
    if (s.empty()) fail(v, "must not be empty");
    return s;
  }

  bool boolean(const Value& v) const {
    bool out = false;
    if (!v.node.IsScalar() || !YAML::convert<bool>::decode(v.node, out)) {
      fail(v, "expected true or false, got " + describe(v.node));
    }
    return out;
  }

  int integer(const Value& v, int lo, int hi) const {
    long long out = 0;
    if (!v.node.IsScalar() || !YAML::convert<long long>::decode(v.node, out)) {
      fail(v, "expected a whole number, got " + describe(v.node));
    }
    if (out < lo || out > hi) {
      fail(v, std::to_string(out) + " is out of range; use " + std::to_string(lo) + " to " +
                  std::to_string(hi));
    }
    return static_cast<int>(out);
  }

  double fraction(const Value& v) const {
    double out = 0;
    if (!v.node.IsScalar() || !YAML::convert<double>::decode(v.node, out)) {
      fail(v, "expected a number, got " + describe(v.node));
    }
    if (!(out >= 0.0 && out <= 1.0)) fail(v, v.node.Scalar() + " is out of range; use 0 to 1");
    return out;
  }

  enum class Zero { kAllowed, kRejected };

  Millis duration(const Value& v, Zero zero) const {
    if (!v.node.IsScalar()) fail(v, "expected a duration like 10s, got " + describe(v.node));
    const std::string& text = v.node.Scalar();
    const auto parsed = parseDuration(text);
    if (!parsed) {
      const bool bare_number = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      });
      if (bare_number) {
        fail(v, shown(text) + " has no unit; units are never guessed (write e.g. " + text +
                    "s or " + text + "ms)");
      }
      fail(v, shown(text) + " is not a duration (use e.g. 500ms, 10s, 5m)");
    }
    if (zero == Zero::kRejected && parsed->count() <= 0) {
      fail(v, "must be longer than 0s");
    }
    return *parsed;
  }

  /// List of unique, non-empty names.
  std::vector<std::string> names(const Value& v) const {
    std::vector<std::string> out;
    for (const Value& item : list(v)) {
      std::string name = nonEmptyString(item);
      if (std::find(out.begin(), out.end(), name) != out.end()) {
        fail(item, shown(name) + " is listed twice");
      }
      out.push_back(std::move(name));
    }
    return out;
  }

  void checkStatus(const Value& v, const Status& status) const {
    if (!status) fail(v, status.error().message);
  }

  /// The interval/timeout/threshold keys shared by defaults.probe, probes and endpoints.
  void probeTiming(const Fields& f, ProbeConfig& p) const {
    if (auto v = f.get("interval")) p.interval = duration(*v, Zero::kRejected);
    if (auto v = f.get("timeout")) p.timeout = duration(*v, Zero::kRejected);
    if (auto v = f.get("failure_threshold")) p.failure_threshold = integer(*v, 1, kMaxCount);
    if (auto v = f.get("success_threshold")) p.success_threshold = integer(*v, 1, kMaxCount);
  }

  ProbeConfig defaultsProbe(const Value& v) const {
    Fields f(*this, v,
             {"interval", "timeout", "failure_threshold", "success_threshold", "start_period"});
    ProbeConfig p;
    probeTiming(f, p);
    if (auto v2 = f.get("start_period")) p.start_period = duration(*v2, Zero::kAllowed);
    return p;
  }

  /// Starts from `base` (defaults.recovery) and overrides the keys written here.
  RecoveryConfig recovery(const Value& v, const RecoveryConfig& base) const {
    Fields f(*this, v,
             {"max_attempts", "window", "backoff_initial", "backoff_max", "backoff_jitter",
              "stop_timeout", "hung_stop_timeout", "replacement_grace", "replacement_trial",
              "flap_window", "flap_threshold", "settle_timeout", "rollback", "restart_dependents"});
    RecoveryConfig r = base;
    if (auto x = f.get("max_attempts")) r.max_attempts = integer(*x, 1, kMaxCount);
    if (auto x = f.get("window")) r.window = duration(*x, Zero::kRejected);
    if (auto x = f.get("backoff_initial")) r.backoff_initial = duration(*x, Zero::kRejected);
    if (auto x = f.get("backoff_max")) r.backoff_max = duration(*x, Zero::kRejected);
    if (auto x = f.get("backoff_jitter")) r.backoff_jitter = fraction(*x);
    if (auto x = f.get("stop_timeout")) r.stop_timeout = duration(*x, Zero::kAllowed);
    if (auto x = f.get("hung_stop_timeout")) r.hung_stop_timeout = duration(*x, Zero::kAllowed);
    if (auto x = f.get("replacement_grace")) r.replacement_grace = duration(*x, Zero::kAllowed);
    if (auto x = f.get("flap_window")) r.flap_window = duration(*x, Zero::kRejected);
    if (auto x = f.get("flap_threshold")) r.flap_threshold = integer(*x, 1, kMaxCount);
    if (auto x = f.get("settle_timeout")) r.settle_timeout = duration(*x, Zero::kRejected);
    if (auto x = f.get("rollback")) r.rollback = boolean(*x);
    if (auto x = f.get("replacement_trial")) r.replacement_trial = duration(*x, Zero::kAllowed);
    if (auto x = f.get("restart_dependents")) r.restart_dependents = boolean(*x);
    if (r.backoff_max < r.backoff_initial) {
      // Blame whichever of the two was written here; with neither, the inherited pair was
      // already checked where it was written.
      auto blamed = f.get("backoff_max");
      if (!blamed) blamed = f.get("backoff_initial");
      if (blamed) {
        fail(*blamed, "backoff_max (" + formatDuration(r.backoff_max) +
                          ") is shorter than backoff_initial (" +
                          formatDuration(r.backoff_initial) + "); make backoff_max the larger");
      }
    }
    return r;
  }

  /// "200", 200 or "200-399".
  void expectStatus(const Value& v, ProbeConfig& p) const {
    const std::string hint = " (write a status like 200 or a range like 200-399)";
    if (!v.node.IsScalar()) fail(v, "expected a status code, got " + describe(v.node) + hint);
    const std::string text = v.node.Scalar();
    auto code = [&](std::string_view part) {
      if (part.empty() || part.size() > 3 || !std::all_of(part.begin(), part.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c));
          })) {
        fail(v, shown(text) + " is not a status code or range" + hint);
      }
      const int n = std::stoi(std::string(part));
      if (n < 100 || n > 599) fail(v, std::to_string(n) + " is not an HTTP status (100-599)");
      return n;
    };
    const size_t dash = text.find('-');
    if (dash == std::string::npos) {
      p.expect_status_min = p.expect_status_max = code(text);
      return;
    }
    const std::string_view view(text);
    p.expect_status_min = code(view.substr(0, dash));
    p.expect_status_max = code(view.substr(dash + 1));
    if (p.expect_status_min > p.expect_status_max) {
      fail(v, shown(text) + ": the range is backwards; write the lower status first");
    }
  }

  std::vector<std::string> argv(const Value& v, std::string_view kind) const {
    if (v.node.IsScalar()) {
      fail(v, "no shell strings: write the argv as a list, e.g. " + std::string(kind) +
                  ": [\"pg_isready\", \"-h\", \"127.0.0.1\"] (medic never runs a shell)");
    }
    std::vector<std::string> out;
    for (const Value& item : list(v)) out.push_back(string(item));
    if (out.empty() || out[0].empty()) fail(v, "the argv needs at least a program name");
    return out;
  }

  ProbeConfig probe(const Value& v, const ProbeConfig& defaults) const {
    if (!v.node.IsMap()) {
      fail(v, "expected a probe like {http: \"http://127.0.0.1:8080/health\"}, got " +
                  describe(v.node));
    }
    Fields f(*this, v,
             {"http", "tcp", "exec", "command", "docker", "name", "interval", "timeout",
              "failure_threshold", "success_threshold", "start_period", "expect_status",
              "body_contains", "screenshot", "headers"});
    std::vector<const Entry*> kinds;
    for (std::string_view kind : kProbeKinds) {
      if (const Entry* e = f.find(kind)) kinds.push_back(e);
    }
    if (kinds.empty()) fail(v, "a probe needs one of: http, tcp, exec, command, docker");
    if (kinds.size() > 1) {
      fail(kinds[1]->key_mark, v.path,
           "a probe has exactly one kind, found both " + kinds[0]->key + " and " + kinds[1]->key +
               "; split it into two probes");
    }
    const Entry& kind_entry = *kinds[0];
    const Value target = valueOf(kind_entry, v.path);
    if (target.node.IsNull()) fail(target, "needs a value");

    ProbeConfig p = defaults;
    const std::string& kind = kind_entry.key;
    if (kind == "http") {
      p.kind = ProbeKind::kHttp;
      p.url = string(target);
      checkStatus(target, checkHttpUrl(p.url));
      p.name = "http:" + withoutPassword(p.url);
    } else if (kind == "tcp") {
      p.kind = ProbeKind::kTcp;
      p.address = string(target);
      checkStatus(target, checkHostPort(p.address));
      p.name = "tcp:" + p.address;
    } else if (kind == "exec" || kind == "command") {
      p.kind = kind == "exec" ? ProbeKind::kExec : ProbeKind::kCommand;
      p.argv = argv(target, kind);
      p.name = kind + ":" + p.argv[0];
    } else {
      p.kind = ProbeKind::kDocker;
      if (!boolean(target)) {
        fail(target,
             "docker: false is not a probe; remove the entry to drop Docker's health check");
      }
      p.name = "docker";
    }
    if (auto x = f.get("name")) p.name = nonEmptyString(*x);
    probeTiming(f, p);
    if (auto x = f.get("start_period")) p.start_period = duration(*x, Zero::kAllowed);
    for (std::string_view http_only :
         {"expect_status", "body_contains", "screenshot", "headers"}) {
      if (p.kind != ProbeKind::kHttp && f.find(http_only)) {
        const Entry& e = *f.find(http_only);
        fail(e.key_mark, child(v.path, http_only),
             "applies only to http probes, and this is a " + kind + " probe");
      }
    }
    if (auto x = f.get("expect_status")) expectStatus(*x, p);
    if (auto x = f.get("body_contains")) p.body_contains = nonEmptyString(*x);
    if (auto x = f.get("screenshot")) p.screenshot = boolean(*x);
    if (auto x = f.get("headers")) p.headers = headers(*x);
    return p;
  }

  /// A request header's name: a token, and not one medic sets itself (`also_reserved` adds
  /// names the caller sets, e.g. Content-Type for sinks).
  void headerName(const Entry& e, const std::string& path, std::string_view also_reserved) const {
    const bool token = !e.key.empty() && std::all_of(e.key.begin(), e.key.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    });
    if (!token) fail(e.key_mark, child(path, e.key), shown(e.key) + " is not a header name");
    std::string lower = e.key;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "host" || lower == "connection" || lower == "content-length" ||
        lower == "transfer-encoding" || lower == also_reserved) {
      fail(e.key_mark, child(path, e.key), "medic sets " + e.key + " itself; remove it");
    }
  }

  std::string headerText(const Value& value) const {
    std::string text = string(value);
    if (text.find_first_of("\r\n") != std::string::npos) {
      fail(value, "a header value cannot span lines");
    }
    return text;
  }

  /// Request headers: a map of name -> text. Names medic sets itself are refused.
  std::map<std::string, std::string> headers(const Value& v) const {
    std::map<std::string, std::string> out;
    for (const Entry& e : entries(v)) {
      headerName(e, v.path, {});
      out[e.key] = headerText(valueOf(e, v.path));
    }
    return out;
  }

  /// A sink's headers: name -> text, {file: PATH} or {env: NAME}. The file and the variable are
  /// read when the sink is built, not here (the parser does no I/O beyond the config file).
  std::vector<SinkHeader> sinkHeaders(const Value& v) const {
    std::vector<SinkHeader> out;
    for (const Entry& e : entries(v)) {
      headerName(e, v.path, "content-type");
      const Value value = valueOf(e, v.path);
      SinkHeader h;
      h.name = e.key;
      h.origin = source_ + ":" + std::to_string(value.mark.line + 1) + ": " + value.path;
      if (value.node.IsMap()) {
        const Fields f(*this, value, {"file", "env"});
        const auto file = f.get("file");
        const auto env = f.get("env");
        if (file.has_value() == env.has_value()) {
          fail(value, "write the value as text, {file: /etc/medic/token} or {env: NAME}: exactly "
                      "one of file and env");
        }
        if (file) {
          h.source = SinkHeader::Source::kFile;
          h.value = nonEmptyString(*file);
        } else {
          h.source = SinkHeader::Source::kEnv;
          h.value = nonEmptyString(*env);
          const bool name = std::all_of(h.value.begin(), h.value.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
          });
          if (!name) fail(*env, shown(h.value) + " is not an environment variable name");
        }
      } else {
        h.value = headerText(value);
      }
      out.push_back(std::move(h));
    }
    return out;
  }

  MatchConfig match(const Value& v) const {
    Fields f(*this, v, {"container", "compose_service", "compose_project", "labels"});
    MatchConfig m;
    if (auto x = f.get("container")) m.container = nonEmptyString(*x);
    if (auto x = f.get("compose_service")) m.compose_service = nonEmptyString(*x);
    if (auto x = f.get("compose_project")) m.compose_project = nonEmptyString(*x);
    if (auto x = f.get("labels")) {
      for (const Entry& e : entries(*x)) {
        const Value label = valueOf(e, x->path);
        if (e.key.empty()) fail(label, "a label name must not be empty");
        m.labels[e.key] = label.node.IsNull() ? std::string() : string(label);
      }
    }
    return m;
  }

  struct Dependency {
    size_t from;  ///< index of the service that declares it
    std::string name;
    Value where;
  };

  ServiceConfig service(const Entry& e, const Value& v, const DefaultsConfig& defaults,
                        size_t index, std::vector<Dependency>& deps) const {
    if (!isServiceName(e.key)) {
      fail(e.key_mark, "services",
           shown(e.key) +
               " is not a usable service name; use letters, digits, '_', '.' and '-' (as compose "
               "does), starting with a letter or digit; `project/service` names one compose "
               "project's service and `#N` its replica N (e.g. shop/db, api#2)");
    }
    Fields f(*this, v, {"match", "critical", "depends_on", "probes", "recovery"});
    ServiceConfig s;
    s.name = e.key;
    s.line = e.key_mark.is_null() ? 0 : e.key_mark.line + 1;
    s.recovery = defaults.recovery;
    if (auto x = f.get("match")) s.match = match(*x);
    if (auto x = f.get("critical")) s.critical = boolean(*x);
    if (auto x = f.get("depends_on")) {
      if (x->node.IsScalar()) {
        fail(*x, "expected a list of service names, e.g. depends_on: [db, cache]");
      }
      s.depends_on = names(*x);
      const auto items = list(*x);
      for (size_t i = 0; i < items.size(); ++i)
        deps.push_back(Dependency{index, s.depends_on[i], items[i]});
    }
    if (auto x = f.get("probes")) {
      std::set<std::string> probe_names;
      for (const Value& item : list(*x)) {
        ProbeConfig p = probe(item, defaults.probe);
        if (!probe_names.insert(p.name).second) {
          fail(item,
               "two probes are both named " + shown(p.name) + "; give each a distinct name: key");
        }
        s.probes.push_back(std::move(p));
      }
    }
    if (auto x = f.get("recovery")) s.recovery = recovery(*x, defaults.recovery);
    return s;
  }

  EndpointConfig endpoint(const Value& v, const ProbeConfig& defaults) const {
    if (!v.node.IsMap()) {
      fail(v, "expected an endpoint like {name: site, url: \"https://example.org/\"}, got " +
                  describe(v.node));
    }
    Fields f(*this, v,
             {"name", "url", "expect_status", "body_contains", "interval", "timeout",
              "failure_threshold", "success_threshold", "max_latency", "critical", "screenshot",
              "headers"});
    EndpointConfig ep;
    ep.probe = defaults;
    ep.probe.kind = ProbeKind::kHttp;
    ep.probe.start_period = Millis(0);  // no container starts behind an endpoint
    const auto url = f.get("url");
    if (!url) fail(v, "an endpoint needs a url: key");
    ep.probe.url = string(*url);
    checkStatus(*url, checkHttpUrl(ep.probe.url));
    ep.name = withoutPassword(ep.probe.url);
    if (auto x = f.get("name")) ep.name = nonEmptyString(*x);
    ep.probe.name = ep.name;
    probeTiming(f, ep.probe);
    if (auto x = f.get("expect_status")) expectStatus(*x, ep.probe);
    if (auto x = f.get("body_contains")) ep.probe.body_contains = nonEmptyString(*x);
    if (auto x = f.get("screenshot")) ep.probe.screenshot = boolean(*x);
    if (auto x = f.get("headers")) ep.probe.headers = headers(*x);
    if (auto x = f.get("critical")) ep.critical = boolean(*x);
    if (auto x = f.get("max_latency")) ep.max_latency = duration(*x, Zero::kAllowed);
    return ep;
  }

  /// "all" or a list of names.
  void selection(const Value& v, bool& all, std::vector<std::string>& named) const {
    if (v.node.IsScalar()) {
      if (v.node.Scalar() != "all") {
        fail(v, shown(v.node.Scalar()) + " is not a selection; write all or a list of names");
      }
      all = true;
      named.clear();
      return;
    }
    all = false;
    named = names(v);
  }

  PhaseConfig phase(const Entry& e, const Value& v, const std::map<int, PhaseConfig>& seeded) const {
    int number = -1;
    if (e.key.size() == 1 && std::isdigit(static_cast<unsigned char>(e.key[0]))) {
      number = e.key[0] - '0';
    }
    if (number < 0) {
      fail(e.key_mark, v.path, "phases are numbered 0 to 9; write e.g. `6:` as the key");
    }
    if (!v.node.IsMap()) {
      fail(v, "expected a phase like {name: infrastructure validation, require: [healthy]}, got " +
                  describe(v.node));
    }
    Fields f(*this, v, {"name", "services", "endpoints", "require", "max_evidence_age"});
    PhaseConfig p;
    if (auto it = seeded.find(number); it != seeded.end()) p = it->second;
    p.number = number;
    p.line = v.mark.is_null() ? 0 : v.mark.line + 1;
    if (p.name.empty()) p.name = "phase " + e.key;
    if (auto x = f.get("name")) p.name = nonEmptyString(*x);
    if (auto x = f.get("services")) selection(*x, p.all_services, p.services);
    if (auto x = f.get("endpoints")) selection(*x, p.all_endpoints, p.endpoints);
    if (auto x = f.get("max_evidence_age")) p.max_evidence_age = duration(*x, Zero::kRejected);
    if (auto x = f.get("require")) {
      static constexpr GateRequirement kAll[] = {
          GateRequirement::kHealthy, GateRequirement::kPresent, GateRequirement::kNoRecovery,
          GateRequirement::kEndpointsAnswer, GateRequirement::kBaseline};
      p.require.clear();
      for (const Value& item : list(*x)) {
        const std::string word = nonEmptyString(item);
        auto found = std::find_if(std::begin(kAll), std::end(kAll),
                                  [&](GateRequirement r) { return word == toString(r); });
        if (found == std::end(kAll)) {
          fail(item, shown(word) +
                         " is not a requirement; use healthy, present, no_recovery, "
                         "endpoints_answer or baseline");
        }
        if (std::find(p.require.begin(), p.require.end(), *found) == p.require.end()) {
          p.require.push_back(*found);
        }
      }
    }
    if (p.require.empty()) {
      fail(v, "a phase needs require: (healthy, present, no_recovery, endpoints_answer, baseline)");
    }
    return p;
  }

  AlertSinkConfig alertSink(const Value& v) const {
    if (!v.node.IsMap()) {
      fail(v, "expected a sink like {type: webhook, url: \"http://127.0.0.1:9000/hook\"}, got " +
                  describe(v.node));
    }
    Fields f(*this, v,
             {"type", "name", "min_severity", "url", "ca_file", "headers", "format", "argv",
              "timeout", "retries"});
    const auto type = f.get("type");
    if (!type) fail(v, "a sink needs a type: log, file, webhook, alertmanager or command");
    AlertSinkConfig s;
    s.line = v.mark.is_null() ? 0 : v.mark.line + 1;
    const std::string kind = string(*type);
    static constexpr AlertSinkKind kKinds[] = {
        AlertSinkKind::kLog, AlertSinkKind::kFile, AlertSinkKind::kWebhook,
        AlertSinkKind::kAlertmanager, AlertSinkKind::kCommand};
    const auto* found = std::find_if(std::begin(kKinds), std::end(kKinds),
                                     [&](AlertSinkKind k) { return kind == toString(k); });
    if (found == std::end(kKinds)) {
      fail(*type, shown(kind) +
                      " is not a sink type; use log, file, webhook, alertmanager or "
                      "command");
    }
    s.kind = *found;
    // Which keys each type takes, so a url on a command (say) is an error, not silently unused.
    const bool http = s.kind == AlertSinkKind::kWebhook || s.kind == AlertSinkKind::kAlertmanager;
    auto only = [&](std::string_view key, bool allowed, const std::string& types) {
      if (allowed) return;
      if (const Entry* e = f.find(key)) {
        fail(e->key_mark, child(v.path, key),
             "applies only to " + types + " sinks, and this is a " + kind + " sink");
      }
    };
    only("url", http, "webhook and alertmanager");
    only("ca_file", http, "webhook and alertmanager");
    only("name", http || s.kind == AlertSinkKind::kCommand, "webhook, alertmanager and command");
    only("headers", http, "webhook and alertmanager");
    only("retries", http, "webhook and alertmanager");
    only("format", s.kind == AlertSinkKind::kWebhook, "webhook");
    only("argv", s.kind == AlertSinkKind::kCommand, "command");
    only("timeout", http || s.kind == AlertSinkKind::kCommand, "webhook, alertmanager and command");

    s.min_severity = s.kind == AlertSinkKind::kLog    ? "info"
                     : s.kind == AlertSinkKind::kFile ? "critical"
                                                      : "warning";
    if (auto x = f.get("min_severity")) {
      s.min_severity = string(*x);
      if (s.min_severity != "info" && s.min_severity != "warning" && s.min_severity != "critical") {
        fail(*x, shown(s.min_severity) + " is not a severity; use info, warning or critical");
      }
      if (s.kind == AlertSinkKind::kFile && s.min_severity != "critical") {
        fail(*x,
             "the file sink is alerts/critical-failures.json and holds critical alerts only; "
             "use a log, webhook or command sink for " +
                 s.min_severity + " alerts");
      }
    }
    if (http) {
      const auto url = f.get("url");
      if (!url) fail(v, "a " + kind + " sink needs a url: key (e.g. http://127.0.0.1:9093)");
      s.url = string(*url);
      if (s.url.rfind("http://", 0) != 0 && s.url.rfind("https://", 0) != 0) {
        fail(*url, shown(s.url) + " must start with https:// or http://");
      }
      checkStatus(*url, checkHttpUrl(s.url));
      if (s.url.find('@') != std::string::npos) {
        fail(*url,
             "credentials in the URL are refused (medic logs sink URLs); put a token in "
             "the path or use a relay");
      }
    }
    if (auto x = f.get("ca_file")) {
      s.ca_file = nonEmptyString(*x);
      if (s.url.rfind("https://", 0) != 0) {
        fail(*x, "ca_file is for https URLs, and this sink's url is " + shown(s.url));
      }
    }
    if (auto x = f.get("headers")) s.headers = sinkHeaders(*x);
    if (auto x = f.get("format")) {
      s.format = string(*x);
      static constexpr std::string_view kFormats[] = {"json", "slack", "discord", "ntfy",
                                                      "msteams"};
      if (std::find(std::begin(kFormats), std::end(kFormats), s.format) == std::end(kFormats)) {
        fail(*x, shown(s.format) +
                     " is not a webhook format; use json, slack, discord, ntfy or msteams");
      }
      if (s.format == "ntfy") {
        const size_t authority = s.url.find("://") + 3;
        std::string path = s.url.substr(std::min(s.url.find('/', authority), s.url.size()));
        path = path.substr(0, path.find('?'));
        while (!path.empty() && path.back() == '/') path.pop_back();
        if (path.empty()) {
          fail(*x, "an ntfy sink's url ends with the topic, e.g. https://ntfy.sh/medic-alerts");
        }
      }
    }
    if (auto x = f.get("name")) {
      s.name = string(*x);
      if (!isNamePart(s.name)) {
        fail(*x, shown(s.name) +
                     " is not a sink name; use letters, digits, '_', '.' or '-' (e.g. slack-ops)");
      }
    }
    if (s.kind == AlertSinkKind::kCommand) {
      const auto args = f.get("argv");
      if (!args) fail(v, "a command sink needs argv: [program, args...] (never a shell string)");
      s.argv = argv(*args, "argv");
      s.timeout = Millis(10'000);
    }
    if (auto x = f.get("timeout")) s.timeout = duration(*x, Zero::kRejected);
    if (auto x = f.get("retries")) s.retries = integer(*x, 0, 10);
    return s;
  }

  /// "512MiB", "1GiB", "100MB", "64KiB", "4096B"; 0 (no unit needed) means no limit.
  int64_t byteSize(const Value& v) const {
    if (!v.node.IsScalar()) fail(v, "expected a size like 512MiB, got " + describe(v.node));
    const std::string& text = v.node.Scalar();
    if (text == "0") return 0;
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    static const std::map<std::string, int64_t, std::less<>> kUnits = {
        {"B", 1},           {"KB", 1000},          {"MB", 1000 * 1000},
        {"GB", 1000 * 1000 * 1000}, {"KiB", 1024}, {"MiB", 1024 * 1024},
        {"GiB", 1024LL * 1024 * 1024}};
    const auto unit = kUnits.find(std::string_view(text).substr(digits));
    if (digits == 0 || digits > 12 || unit == kUnits.end()) {
      fail(v, shown(text) + " is not a size; write a whole number with a unit: B, KB, MB, GB, "
                            "KiB, MiB or GiB (e.g. 512MiB), or 0 for no limit");
    }
    return std::stoll(text.substr(0, digits)) * unit->second;
  }

  EvidenceConfig evidenceSection(const Value& v) const {
    EvidenceConfig e;
    const Fields f(*this, v,
                   {"max_age", "max_bytes", "prune_interval", "screenshot_interval",
                    "screenshot_timeout", "chromium", "max_messages"});
    if (auto x = f.get("max_age")) e.max_age = duration(*x, Zero::kAllowed);
    if (auto x = f.get("max_bytes")) e.max_bytes = byteSize(*x);
    if (auto x = f.get("prune_interval")) e.prune_interval = duration(*x, Zero::kRejected);
    if (auto x = f.get("screenshot_interval")) {
      e.screenshot_interval = duration(*x, Zero::kRejected);
    }
    if (auto x = f.get("screenshot_timeout")) e.screenshot_timeout = duration(*x, Zero::kRejected);
    if (auto x = f.get("chromium")) e.chromium = nonEmptyString(*x);
    if (auto x = f.get("max_messages")) e.max_messages = integer(*x, 0, 100'000'000);
    return e;
  }

  /// Default names ("webhook", "webhook_2", ...; "log" and "file") and a check that every name
  /// is used once.
  void nameSinks(std::vector<AlertSinkConfig>& sinks, const std::vector<Value>& items) const {
    std::map<AlertSinkKind, int> seen;
    for (auto& s : sinks) {
      if (!s.name.empty()) continue;
      const int n = ++seen[s.kind];
      s.name = toString(s.kind);
      if (n > 1) s.name += "_" + std::to_string(n);
    }
    std::set<std::string> names = {"log", "file"};
    for (size_t i = 0; i < sinks.size(); ++i) {
      const auto& s = sinks[i];
      if (s.kind == AlertSinkKind::kLog || s.kind == AlertSinkKind::kFile) continue;
      if (!names.insert(s.name).second) {
        fail(items[i], "a second sink named " + shown(s.name) + "; give each sink its own name: key");
      }
    }
  }

  AlertsConfig alerts(const Value& v) const {
    const Fields f(*this, v, {"sinks"});
    AlertsConfig a;
    if (auto x = f.get("sinks")) {
      bool seen_log = false;
      bool seen_file = false;
      for (const Value& item : list(*x)) {
        AlertSinkConfig s = alertSink(item);
        bool& seen = s.kind == AlertSinkKind::kLog ? seen_log : seen_file;
        if (s.kind == AlertSinkKind::kLog || s.kind == AlertSinkKind::kFile) {
          if (seen) {
            fail(item, std::string("a second ") + toString(s.kind) +
                           " sink; there is one of each (it only sets min_severity), keep one");
          }
          seen = true;
        }
        a.sinks.push_back(std::move(s));
      }
      nameSinks(a.sinks, list(*x));
    }
    return a;
  }

  void checkDependencies(const std::vector<ServiceConfig>& services,
                         const std::vector<Dependency>& deps) const {
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < services.size(); ++i) index[services[i].name] = i;
    for (const Dependency& d : deps) {
      if (!index.count(d.name)) {
        fail(d.where, shown(d.name) +
                          " is not a service in this file; declare it under "
                          "services: or remove it from depends_on");
      }
    }
    // Depth-first search in declaration order; a grey node reached again closes a cycle.
    enum class Color { kWhite, kGrey, kBlack };
    std::vector<Color> color(services.size(), Color::kWhite);
    std::vector<size_t> trail;
    auto where_of = [&](size_t from, const std::string& to) -> const Value& {
      const auto it = std::find_if(deps.begin(), deps.end(), [&](const Dependency& d) {
        return d.from == from && d.name == to;
      });
      return it->where;  // every edge came from deps
    };
    std::function<void(size_t)> visit = [&](size_t at) {
      color[at] = Color::kGrey;
      trail.push_back(at);
      for (const std::string& dep : services[at].depends_on) {
        const size_t next = index.at(dep);
        if (color[next] == Color::kGrey) {
          std::string cycle;
          auto start = std::find(trail.begin(), trail.end(), next);
          for (auto it = start; it != trail.end(); ++it) cycle += services[*it].name + " -> ";
          cycle += services[next].name;
          fail(where_of(at, dep), "dependency cycle " + cycle +
                                      "; recovery order needs an acyclic graph, remove one of "
                                      "these depends_on entries");
        }
        if (color[next] == Color::kWhite) visit(next);
      }
      trail.pop_back();
      color[at] = Color::kBlack;
    };
    for (size_t i = 0; i < services.size(); ++i) {
      if (color[i] == Color::kWhite) visit(i);
    }
  }

  std::string unknownKey(const std::string& key,
                         std::initializer_list<std::string_view> known) const {
    std::string_view best;
    size_t best_distance = 3;  // suggest only near misses: at most two edits
    for (std::string_view k : known) {
      const size_t d = editDistance(key, k);
      if (d < best_distance && d < k.size()) best = k, best_distance = d;
    }
    if (!best.empty()) return "unknown key (did you mean '" + std::string(best) + "'?)";
    return "unknown key; the keys allowed here are " + join(known);
  }

 private:
  const std::string& source_;
};

Fields::Fields(const Parser& parser, const Value& map,
               std::initializer_list<std::string_view> known)
    : parser_(parser), path_(map.path), entries_(parser.entries(map)) {
  for (const Entry& e : entries_) {
    if (std::find(known.begin(), known.end(), e.key) == known.end()) {
      parser_.fail(e.key_mark, Parser::child(path_, e.key), parser_.unknownKey(e.key, known));
    }
  }
}

const Entry* Fields::find(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

std::optional<Value> Fields::get(std::string_view key) const {
  const Entry* e = find(key);
  if (e == nullptr || e->value.IsNull()) return std::nullopt;
  return parser_.valueOf(*e, path_);
}

Config Parser::parse(const YAML::Node& root) {
  Config c;
  c.source = source_;
  const Value top{root, root.Mark(), ""};
  if (!root.IsNull() && !root.IsMap()) {
    fail(top,
         "the file must be a map of keys (listen, docker, services, ...), got " + describe(root));
  }
  const Fields f(*this, top,
                 {"listen", "docker", "docker_timeout", "state_dir", "resync_interval",
                  "stall_timeout", "shutdown_timeout", "log_level", "select", "defaults",
                  "services", "endpoints", "alerts", "evidence", "phases", "deploy", "channels",
                  "allowed_hosts", "metrics_token_file", "tls_cert_file", "tls_key_file",
                  "external_url"});

  if (auto x = f.get("listen")) {
    c.listen = string(*x);
    checkStatus(*x, checkHostPort(c.listen));
  }
  if (auto x = f.get("allowed_hosts")) {
    c.allowed_hosts = names(*x);
    for (const Value& item : list(*x)) {
      const std::string& h = item.node.Scalar();
      const bool name_like = std::all_of(h.begin(), h.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-';
      });
      if (!name_like) {
        fail(item, shown(h) + " is not a host name; write the name alone, without scheme or "
                              "port (e.g. medic.example.net)");
      }
    }
  }
  for (const char* key : {"metrics_token_file", "tls_cert_file", "tls_key_file"}) {
    if (auto x = f.get(key)) {
      std::string path = nonEmptyString(*x);
      if (path.front() != '/') fail(*x, shown(path) + " is relative; write an absolute path");
      (key == std::string_view("metrics_token_file") ? c.metrics_token_file
       : key == std::string_view("tls_cert_file")    ? c.tls_cert_file
                                                     : c.tls_key_file) = std::move(path);
    }
  }
  if (c.tls_cert_file.empty() != c.tls_key_file.empty()) {
    const Entry* e = f.find(c.tls_cert_file.empty() ? "tls_key_file" : "tls_cert_file");
    fail(valueOf(*e, ""), "tls_cert_file and tls_key_file go together; set both or neither");
  }
  if (auto x = f.get("external_url")) {
    c.external_url = nonEmptyString(*x);
    if ((c.external_url.rfind("http://", 0) != 0 && c.external_url.rfind("https://", 0) != 0) ||
        c.external_url.find_first_of(" \t\r\n") != std::string::npos) {
      fail(*x, shown(c.external_url) + " is not an http(s) URL (e.g. https://medic.example.net/)");
    }
  }
  if (auto x = f.get("docker")) {
    c.docker = string(*x);
    checkStatus(*x, checkDockerAddress(c.docker));
  }
  if (auto x = f.get("docker_timeout")) c.docker_timeout = duration(*x, Zero::kRejected);
  if (auto x = f.get("state_dir")) {
    c.state_dir = nonEmptyString(*x);
    if (c.state_dir.front() != '/') {
      fail(*x, shown(c.state_dir) +
                   " is relative; write an absolute path such as "
                   "/var/lib/medic (or leave it out for the default)");
    }
  }
  if (auto x = f.get("resync_interval")) {
    c.resync_interval = duration(*x, Zero::kRejected);
    if (c.resync_interval > kMaxResyncInterval) {
      fail(*x, formatDuration(c.resync_interval) +
                   " is too long; medic re-lists containers at least every 60s so a missed "
                   "event is repaired (use 60s or less)");
    }
  }
  if (auto x = f.get("stall_timeout")) {
    c.stall_timeout = duration(*x, Zero::kRejected);
    if (c.stall_timeout <= c.resync_interval) {
      fail(*x, formatDuration(c.stall_timeout) + " is not longer than resync_interval (" +
                   formatDuration(c.resync_interval) +
                   "); a healthy loop completes a resync every resync_interval, so use at least "
                   "twice that");
    }
  }
  if (auto x = f.get("shutdown_timeout")) c.shutdown_timeout = duration(*x, Zero::kAllowed);
  if (auto x = f.get("log_level")) {
    c.log_level = string(*x);
    static constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error"};
    if (std::find(std::begin(kLevels), std::end(kLevels), c.log_level) == std::end(kLevels)) {
      fail(*x, shown(c.log_level) + " is not a log level; use trace, debug, info, warn or error");
    }
  }
  if (auto x = f.get("select")) {
    const Fields s(*this, *x, {"labels", "all", "compose_projects"});
    if (auto y = s.get("labels")) c.select.labels = boolean(*y);
    if (auto y = s.get("all")) c.select.all = boolean(*y);
    if (auto y = s.get("compose_projects")) c.select.compose_projects = names(*y);
  }
  if (auto x = f.get("defaults")) {
    const Fields d(*this, *x, {"probe", "recovery"});
    if (auto y = d.get("probe")) c.defaults.probe = defaultsProbe(*y);
    if (auto y = d.get("recovery")) c.defaults.recovery = recovery(*y, RecoveryConfig{});
  }
  if (auto x = f.get("services")) {
    std::vector<Dependency> deps;
    for (const Entry& e : entries(*x)) {
      c.services.push_back(service(e, valueOf(e, x->path), c.defaults, c.services.size(), deps));
    }
    checkDependencies(c.services, deps);
  }
  if (auto x = f.get("endpoints")) {
    std::set<std::string> endpoint_names;
    for (const Value& item : list(*x)) {
      EndpointConfig ep = endpoint(item, c.defaults.probe);
      if (!endpoint_names.insert(ep.name).second) {
        fail(item, "another endpoint is already named " + shown(ep.name) +
                       "; endpoint names must be unique");
      }
      c.endpoints.push_back(std::move(ep));
    }
  }
  if (auto x = f.get("alerts")) c.alerts = alerts(*x);
  if (auto x = f.get("deploy")) {
    const Fields d(*this, *x,
                   {"validators", "timeout", "confirm_timeout", "downtime_budget",
                    "probe_interval", "success_threshold"});
    if (auto y = d.get("validators")) c.deploy.validators = names(*y);
    if (auto y = d.get("timeout")) c.deploy.timeout = duration(*y, Zero::kRejected);
    if (auto y = d.get("confirm_timeout")) {
      c.deploy.confirm_timeout = duration(*y, Zero::kRejected);
    }
    if (auto y = d.get("downtime_budget")) {
      c.deploy.downtime_budget = duration(*y, Zero::kAllowed);
    }
    if (auto y = d.get("probe_interval")) c.deploy.probe_interval = duration(*y, Zero::kRejected);
    if (auto y = d.get("success_threshold")) {
      c.deploy.success_threshold = integer(*y, 1, kMaxCount);
    }
  }
  if (auto x = f.get("phases")) {
    const auto seeded = seededPhases();
    for (const Entry& e : entries(*x)) {
      PhaseConfig p = phase(e, valueOf(e, x->path), seeded);
      c.phases[p.number] = std::move(p);
    }
    for (const auto& [number, p] : c.phases) {
      for (const auto& name : p.endpoints) {
        const bool known = std::any_of(c.endpoints.begin(), c.endpoints.end(),
                                       [&](const EndpointConfig& ep) { return ep.name == name; });
        if (!known) {
          throw ConfigError(source_ + ":" + std::to_string(p.line) + ": phases." +
                            std::to_string(number) + ".endpoints: no endpoint is named " +
                            shown(name) + "; name one from endpoints:");
        }
      }
    }
  }
  if (auto x = f.get("evidence")) c.evidence = evidenceSection(*x);
  for (std::string_view reserved : kReservedSections) {
    if (const Entry* e = f.find(reserved)) {
      const int line = e->key_mark.is_null() ? 0 : e->key_mark.line + 1;
      c.notes.push_back(source_ + ":" + std::to_string(line) + ": " + std::string(reserved) +
                        ": reserved for a later version of medic; accepted and ignored for now");
    }
  }
  return c;
}

}  // namespace

Config parseConfig(const std::string& text, const std::string& source) {
  checkYamlLimits(text, source);  // the default limits are the documented ones (1 MiB, ...)
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    // The limit pass parsed the same text, so this is unexpected; still report it with a line.
    std::string where = source;
    if (!e.mark.is_null()) where += ":" + std::to_string(e.mark.line + 1);
    throw ConfigError(where + ": YAML syntax error: " + e.msg);
  }
  try {
    return Parser(source).parse(root);
  } catch (const YAML::Exception& e) {
    // A conversion this parser did not guard; keep the promise that only ConfigError escapes.
    throw ConfigError(source + ": " + e.what());
  }
}

Config loadConfigFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw ConfigError(path + ": cannot read config file: " + std::strerror(errno) +
                      " (check the --config path)");
  }
  if (S_ISDIR(st.st_mode)) {
    throw ConfigError(path + ": is a directory; --config takes the medic.yaml file itself");
  }
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > kMaxFileBytes) {
    throw ConfigError(path + ": " + std::to_string(st.st_size) + " bytes is over the limit of " +
                      std::to_string(kMaxFileBytes) +
                      " bytes; a medic config is a few KiB (is this the right file?)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(path + ": cannot open config file: " + std::strerror(errno) +
                      " (check its permissions)");
  }
  // Read one byte past the limit so a file that grew (or a pipe) is still caught by size.
  std::string text(kMaxFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) throw ConfigError(path + ": error while reading the config file");
  text.resize(static_cast<size_t>(in.gcount()));
  return parseConfig(text, path);
}

std::map<int, PhaseConfig> seededPhases() {
  auto make = [](int n, std::string name, std::vector<GateRequirement> require) {
    PhaseConfig p;
    p.number = n;
    p.name = std::move(name);
    p.require = std::move(require);
    return p;
  };
  using R = GateRequirement;
  std::map<int, PhaseConfig> out;
  out[0] = make(0, "preflight", {R::kHealthy});
  out[3] = make(3, "baseline", {R::kBaseline});
  out[5] = make(5, "implementation safety", {R::kPresent, R::kNoRecovery});
  out[6] = make(6, "infrastructure validation", {R::kHealthy, R::kEndpointsAnswer});
  out[9] = make(9, "production accessibility", {R::kEndpointsAnswer});
  return out;
}

Config defaultConfig() {
  return Config{};
}

}  // namespace medic::config
