#include "core/duration.h"

#include <cctype>
#include <cstdint>

namespace medic {

std::optional<Millis> parseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t total_ms = 0;
  int last_rank = 100;  // units must come in descending order: d > h > m > s > ms
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    int64_t whole = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      whole = whole * 10 + (text[i] - '0');
      if (whole > 1'000'000'000) return std::nullopt;
      ++i;
    }
    // Optional fraction ("1.5s").
    int64_t frac_num = 0, frac_den = 1;
    if (i < text.size() && text[i] == '.') {
      ++i;
      if (i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        if (frac_den < 1'000'000) {
          frac_num = frac_num * 10 + (text[i] - '0');
          frac_den *= 10;
        }
        ++i;
      }
    }
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    int64_t factor = 0;
    int rank = 0;
    if (unit == "ms") {
      factor = 1, rank = 1;
    } else if (unit == "s") {
      factor = 1000, rank = 2;
    } else if (unit == "m") {
      factor = 60'000, rank = 3;
    } else if (unit == "h") {
      factor = 3'600'000, rank = 4;
    } else if (unit == "d") {
      factor = 86'400'000, rank = 5;
    } else {
      return std::nullopt;  // missing or unknown unit
    }
    if (rank >= last_rank) return std::nullopt;
    last_rank = rank;
    total_ms += whole * factor + (frac_num * factor) / frac_den;
  }
  return Millis(total_ms);
}

std::string formatDuration(Millis d) {
  const int64_t ms = d.count();
  if (ms == 0) return "0s";
  if (ms % 86'400'000 == 0) return std::to_string(ms / 86'400'000) + "d";
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  if (ms > 1000 && ms % 100 == 0) {
    return std::to_string(ms / 1000) + "." + std::to_string((ms % 1000) / 100) + "s";
  }
  return std::to_string(ms) + "ms";
}

}  // namespace medic
