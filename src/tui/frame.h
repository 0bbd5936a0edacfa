#pragma once
/// The layout of one `medic top` frame: a View becomes lines of styled text of a given size. Pure;
/// the ncurses screen maps styles to colours, `--once` prints the text without them.

#include <string>
#include <vector>

#include "tui/model.h"

namespace medic::tui {

enum class Style { kNormal, kTitle, kDim, kGood, kDegraded, kBad, kSelected, kAlarm };

struct Span {
  std::string text;
  Style style = Style::kNormal;
};
using Line = std::vector<Span>;

/// What the screen adds on top of the model: the status line, a prompt being typed, the help.
struct Overlay {
  std::string message;  ///< result of the last action, e.g. "recovery of web requested"
  bool message_is_error = false;
  std::string prompt;  ///< "maintenance for web (e.g. 10m, or 'end'): " while typing
  std::string input;   ///< what was typed so far
  bool help = false;
  bool interactive = true;  ///< false for --once: no key legend, no selection marker
};

/// Lines of at most `width` columns (UTF-8 free: ASCII only), at most `height` lines (0: no limit).
std::vector<Line> layout(const View& view, const Overlay& overlay, int width, int height);

/// The lines as plain text (one '\n' per line, trailing spaces trimmed).
std::string toPlainText(const std::vector<Line>& lines);

/// The keys and what they do (the `?` screen and README).
const std::vector<std::pair<std::string, std::string>>& keyHelp();

}  // namespace medic::tui
