#include "evidence/redact.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <re2/re2.h>

namespace medic::evidence {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

bool isTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '_' ||
         c == '-' || c == '=' || c == '.';
}

/// Container and compose names ("medic-test-command-check-1a2b3c4d", "shop_webui_1"): words joined
/// by '-' or '_', two of them with a letter no hex digit has (a UUID's or a token's pieces do not).
bool looksLikeName(std::string_view run) {
  int words = 0;
  size_t start = 0;
  for (size_t i = 0; i <= run.size(); ++i) {
    if (i < run.size() && run[i] != '-' && run[i] != '_') continue;
    std::string_view part = run.substr(start, i - start);
    const bool word = part.size() >= 3 && std::all_of(part.begin(), part.end(), [](char c) {
      return std::isalpha(static_cast<unsigned char>(c)) != 0;
    }) && std::any_of(part.begin(), part.end(), [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) == 0;
    });
    if (part.size() > 16) return false;  // a long unbroken piece is token-like
    words += word ? 1 : 0;
    start = i + 1;
  }
  return words >= 2;
}

/// Replaces runs that look like generated credentials: long, mixing letters and digits.
std::string redactTokenShapedRuns(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (!isTokenChar(text[i])) {
      out.push_back(text[i++]);
      continue;
    }
    size_t j = i;
    bool has_alpha = false, has_digit = false;
    while (j < text.size() && isTokenChar(text[j])) {
      has_alpha |= std::isalpha(static_cast<unsigned char>(text[j])) != 0;
      has_digit |= std::isdigit(static_cast<unsigned char>(text[j])) != 0;
      ++j;
    }
    std::string_view run(text.data() + i, j - i);
    // sha256:... digests and container ids are identifiers, not secrets: keep hex-only runs that
    // follow "sha256:" and plain 64-char hex ids, which Docker shows everywhere.
    bool is_digest = i >= 7 && text.compare(i - 7, 7, "sha256:") == 0;
    bool hex_only = std::all_of(run.begin(), run.end(), [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) != 0;
    });
    if (run.size() >= 32 && has_alpha && has_digit && !is_digest &&
        !(hex_only && run.size() == 64) && !looksLikeName(run)) {
      out.append(kRedacted);
    } else {
      out.append(run);
    }
    i = j;
  }
  return out;
}

}  // namespace

bool isSecretName(std::string_view name) {
  const std::string n = upper(name);
  static constexpr std::array<std::string_view, 7> kParts = {
      "PASSWORD", "PASSWD", "TOKEN", "SECRET", "KEY", "CREDENTIAL", "AUTH"};
  for (auto part : kParts) {
    if (n.find(part) != std::string::npos) return true;
  }
  return n == "COOKIE" || n == "SET-COOKIE" || n == "PWD_HASH";
}

std::vector<std::string> redactEnv(const std::vector<std::string>& env) {
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& entry : env) {
    auto eq = entry.find('=');
    if (eq != std::string::npos && isSecretName(std::string_view(entry).substr(0, eq))) {
      out.push_back(entry.substr(0, eq + 1) + std::string(kRedacted));
    } else {
      out.push_back(redactText(entry));
    }
  }
  return out;
}

/// RE2 runs in time linear in the input and without recursion, so the whole text is scanned at
/// once: no secret escapes through a cut between pieces.
std::string redactText(std::string_view text) {
  // scheme://user:password@host -> scheme://user:[REDACTED]@host
  static const RE2 kUrlPassword(R"(([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+):[^@\s/]+@)");
  // Authorization-style credentials in free text.
  static const RE2 kBearer(R"((?i)\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]+)");
  // key=value, key: value and "key": "value" pairs whose key is secret-looking.
  static const RE2 kPair(
      R"((?i)\b([A-Za-z0-9_.-]*(?:password|passwd|token|secret|apikey|api_key|credential)[A-Za-z0-9_.-]*)("?\s*[=:]\s*"?)([^\s&,;"']+))");
  // JSON Web Tokens.
  static const RE2 kJwt(R"(eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+)");
  std::string s(text);
  // Literal prefilters: most text holds no URL and no JWT, and a search is cheaper than a replace.
  if (s.find("://") != std::string::npos) RE2::GlobalReplace(&s, kUrlPassword, R"(\1:[REDACTED]@)");
  RE2::GlobalReplace(&s, kBearer, R"(\1 [REDACTED])");
  RE2::GlobalReplace(&s, kPair, R"(\1\2[REDACTED])");
  if (s.find("eyJ") != std::string::npos) RE2::GlobalReplace(&s, kJwt, "[REDACTED]");
  return redactTokenShapedRuns(s);
}

nlohmann::json redactJson(const nlohmann::json& doc) {
  if (doc.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      if (isSecretName(it.key()) && (it.value().is_string() || it.value().is_number())) {
        out[it.key()] = kRedacted;
      } else if (isSecretName(it.key()) && it.value().is_array()) {
        // e.g. "Authorization": ["Bearer ..."] in header maps
        nlohmann::json arr = nlohmann::json::array();
        for (size_t k = 0; k < it.value().size(); ++k) arr.push_back(kRedacted);
        out[it.key()] = arr;
      } else {
        out[it.key()] = redactJson(it.value());
      }
    }
    return out;
  }
  if (doc.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : doc) {
      if (v.is_string()) {
        auto s = v.get<std::string>();
        auto eq = s.find('=');
        if (eq != std::string::npos && eq > 0 && isSecretName(std::string_view(s).substr(0, eq)) &&
            s.find(' ') > eq) {
          out.push_back(s.substr(0, eq + 1) + std::string(kRedacted));
          continue;
        }
      }
      out.push_back(redactJson(v));
    }
    return out;
  }
  if (doc.is_string()) return redactText(doc.get<std::string>());
  return doc;
}

}  // namespace medic::evidence
