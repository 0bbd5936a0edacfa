#include "tui/screen.h"

#include <curses.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "core/duration.h"
#include "tui/frame.h"
#include "tui/sse_follower.h"

namespace medic::tui {
namespace {

using SteadyClock = std::chrono::steady_clock;

/// What the follower threads hand to the UI thread; a byte on the pipe wakes its poll().
class Inbox {
 public:
  Inbox() {
    if (pipe2(fds_, O_NONBLOCK | O_CLOEXEC) != 0) fds_[0] = fds_[1] = -1;
  }
  ~Inbox() {
    if (fds_[0] >= 0) ::close(fds_[0]);
    if (fds_[1] >= 0) ::close(fds_[1]);
  }
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  void push(nlohmann::json m) {
    {
      std::lock_guard lock(mu_);
      messages_.push_back(std::move(m));
    }
    wake();
  }
  void connection(const std::string& channel, bool up, const std::string& error) {
    {
      std::lock_guard lock(mu_);
      (up ? connects_ : disconnects_) += 1;
      if (!up) last_error_ = error;
      streams_[channel] = up;
    }
    wake();
  }
  void wake() const {
    const char c = 1;
    if (fds_[1] >= 0) (void)!::write(fds_[1], &c, 1);
  }
  int readFd() const { return fds_[0]; }
  int writeFd() const { return fds_[1]; }
  void drainPipe() const {
    char buf[256];
    while (fds_[0] >= 0 && ::read(fds_[0], buf, sizeof buf) > 0) {
    }
  }
  struct Batch {
    std::deque<nlohmann::json> messages;
    int connects = 0;
    int disconnects = 0;
    std::string last_error;
    int streams_up = 0;
  };
  Batch take() {
    std::lock_guard lock(mu_);
    int up = 0;
    for (const auto& [channel, is_up] : streams_) up += is_up ? 1 : 0;
    Batch b{std::move(messages_), connects_, disconnects_, last_error_, up};
    messages_.clear();
    connects_ = disconnects_ = 0;
    return b;
  }

 private:
  int fds_[2] = {-1, -1};
  std::mutex mu_;
  std::deque<nlohmann::json> messages_;
  int connects_ = 0;
  int disconnects_ = 0;
  std::string last_error_;
  std::map<std::string, bool> streams_;
};

volatile std::sig_atomic_t g_quit_signal = 0;
int g_wake_fd = -1;

void onQuitSignal(int) {
  g_quit_signal = 1;
  const char c = 1;
  if (g_wake_fd >= 0) (void)!::write(g_wake_fd, &c, 1);
}

enum Pair : short { kPairGood = 1, kPairDegraded, kPairBad, kPairAlarm, kPairTitle };

class Curses {
 public:
  explicit Curses(bool want_color) {
    initscr();
    raw();  // Ctrl-C arrives as a key: the terminal is always restored on the way out
    noecho();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    (void)curs_set(0);
    color_ = want_color && has_colors();
    if (color_) {
      start_color();
      use_default_colors();
      init_pair(kPairGood, COLOR_GREEN, -1);
      init_pair(kPairDegraded, COLOR_YELLOW, -1);
      init_pair(kPairBad, COLOR_RED, -1);
      init_pair(kPairAlarm, COLOR_WHITE, COLOR_RED);
      init_pair(kPairTitle, COLOR_CYAN, -1);
    }
  }
  ~Curses() { endwin(); }
  Curses(const Curses&) = delete;
  Curses& operator=(const Curses&) = delete;

  attr_t attrFor(Style s) const {
    if (color_) {
      switch (s) {
        case Style::kNormal:
          return A_NORMAL;
        case Style::kTitle:
          return A_BOLD | COLOR_PAIR(kPairTitle);
        case Style::kDim:
          return A_DIM;
        case Style::kGood:
          return COLOR_PAIR(kPairGood);
        case Style::kDegraded:
          return COLOR_PAIR(kPairDegraded) | A_BOLD;
        case Style::kBad:
          return COLOR_PAIR(kPairBad) | A_BOLD;
        case Style::kSelected:
          return A_REVERSE;
        case Style::kAlarm:
          return COLOR_PAIR(kPairAlarm) | A_BOLD;
      }
    }
    // Monochrome: weight and reverse video carry what colour would.
    switch (s) {
      case Style::kNormal:
      case Style::kGood:
        return A_NORMAL;
      case Style::kTitle:
        return A_BOLD | A_UNDERLINE;
      case Style::kDim:
        return A_DIM;
      case Style::kDegraded:
      case Style::kBad:
        return A_BOLD;
      case Style::kSelected:
        return A_REVERSE;
      case Style::kAlarm:
        return A_REVERSE | A_BOLD;
    }
    return A_NORMAL;
  }

  void draw(const std::vector<Line>& lines) const {
    erase();
    int y = 0;
    for (const auto& line : lines) {
      if (y >= LINES) break;
      move(y, 0);
      int x = 0;
      for (const auto& span : line) {
        if (x >= COLS) break;
        attrset(attrFor(span.style));
        addnstr(span.text.c_str(), std::min(static_cast<int>(span.text.size()), COLS - x));
        x += static_cast<int>(span.text.size());
      }
      ++y;
    }
    attrset(A_NORMAL);
    refresh();
  }

 private:
  bool color_ = false;
};

enum class Mode { kNormal, kFilter, kMaintenance, kHelp };

class Session {
 public:
  Session(const DaemonApi& api, const ScreenOptions& options) : api_(api), options_(options) {}

  int run() {
    connectAndLoad();
    std::vector<std::unique_ptr<SseFollower>> followers;
    for (const std::string channel :
         {"service_state", "recovery_coordination", "deployment_coordination"}) {
      followers.push_back(std::make_unique<SseFollower>(
          api_.url, channel, [this](const nlohmann::json& m) { inbox_.push(m); },
          [this, channel](bool up, const std::string& e) { inbox_.connection(channel, up, e); },
          options_.max_backoff));
    }
    streams_total_ = static_cast<int>(followers.size());
    model_.setStreams(0, streams_total_);
    g_wake_fd = inbox_.writeFd();
    struct sigaction sa {};
    sa.sa_handler = onQuitSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
    {
      Curses curses(options_.color);
      for (auto& f : followers) f->start();
      loop(curses);
    }
    for (auto& f : followers) f->stop();
    g_wake_fd = -1;
    return 0;
  }

 private:
  void connectAndLoad() {
    auto st = fetchStatus(model_, api_, true);
    if (st) st = loadRecentActions(model_, api_);
    if (st) {
      backoff_ = Millis(250);
      next_refresh_ = SteadyClock::now() + options_.refresh;
    } else {
      const auto wait = backoff_;
      next_retry_ = SteadyClock::now() + wait;
      backoff_ = std::min(backoff_ * 2, options_.max_backoff);
      model_.setDisconnected(fmt::format("{}; retrying in {:.1f}s", st.error().message,
                                         static_cast<double>(wait.count()) / 1000.0));
    }
  }

  void loop(const Curses& curses) {
    auto last_draw = SteadyClock::now() - std::chrono::seconds(10);
    bool dirty = true;
    while (!quit_ && g_quit_signal == 0) {
      const auto now = SteadyClock::now();
      if (dirty || now - last_draw >= std::chrono::seconds(1)) {
        curses.draw(layout(model_.view(SystemClock().now().wall), overlay_, COLS, LINES));
        last_draw = now;
        dirty = false;
      }
      pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {inbox_.readFd(), POLLIN, 0}};
      int timeout_ms = 1000;
      if (!model_.connected()) {
        const auto until = std::chrono::duration_cast<Millis>(next_retry_ - now).count();
        timeout_ms = static_cast<int>(std::clamp<int64_t>(until, 0, 1000));
      }
      (void)::poll(fds, 2, timeout_ms);
      inbox_.drainPipe();
      dirty |= handleInbox();
      dirty |= handleTimers();
      int ch;
      while ((ch = getch()) != ERR) {
        handleKey(ch);
        dirty = true;
      }
    }
  }

  /// Messages and connection changes from the followers; true when anything changed.
  bool handleInbox() {
    auto batch = inbox_.take();
    if (batch.messages.empty() && batch.connects == 0 && batch.disconnects == 0) return false;
    if (batch.connects > 0 || batch.disconnects > 0)
      model_.setStreams(batch.streams_up, streams_total_);
    bool status = false, alerts = false;
    for (const auto& m : batch.messages) {
      auto r = model_.onMessage(m);
      status |= r.refetch_status;
      alerts |= r.refetch_alerts;
    }
    // A stream dropped: find out whether the daemon is gone. One came (back): catch up on what
    // happened while it was away.
    if (batch.disconnects > 0 || batch.connects > 0) status = alerts = true;
    if (status && (model_.connected() || SteadyClock::now() >= next_retry_)) {
      auto st = fetchStatus(model_, api_, alerts);
      if (!st) {
        disconnected(st.error().message);
      } else {
        backoff_ = Millis(250);
      }
    }
    return true;
  }

  void disconnected(const std::string& why) {
    const auto wait = backoff_;
    next_retry_ = SteadyClock::now() + wait;
    backoff_ = std::min(backoff_ * 2, options_.max_backoff);
    model_.setDisconnected(
        fmt::format("{}; retrying in {:.1f}s", why, static_cast<double>(wait.count()) / 1000.0));
  }

  bool handleTimers() {
    const auto now = SteadyClock::now();
    if (!model_.connected()) {
      if (now < next_retry_) return false;
      connectAndLoad();
      return true;
    }
    if (options_.refresh.count() > 0 && now >= next_refresh_) {
      next_refresh_ = now + options_.refresh;
      if (auto st = fetchStatus(model_, api_, false); !st) disconnected(st.error().message);
      return true;
    }
    return false;
  }

  void say(std::string text, bool error) {
    overlay_.message = std::move(text);
    overlay_.message_is_error = error;
  }

  void handleKey(int ch) {
    switch (mode_) {
      case Mode::kHelp:
        overlay_.help = false;
        mode_ = Mode::kNormal;
        if (ch == 'q' || ch == 3) quit_ = true;
        return;
      case Mode::kFilter:
      case Mode::kMaintenance:
        editPrompt(ch);
        return;
      case Mode::kNormal:
        break;
    }
    switch (ch) {
      case 'q':
      case 'Q':
      case 3:  // Ctrl-C (raw mode)
        quit_ = true;
        break;
      case KEY_UP:
      case 'k':
        model_.moveSelection(-1);
        break;
      case KEY_DOWN:
      case 'j':
        model_.moveSelection(1);
        break;
      case '\t':
        model_.toggleFocus();
        break;
      case '?':
        overlay_.help = true;
        mode_ = Mode::kHelp;
        break;
      case '/':
        mode_ = Mode::kFilter;
        overlay_.prompt = "filter: ";
        overlay_.input = model_.filter();
        break;
      case 'r':
        recover();
        break;
      case 'm': {
        target_ = model_.selectedService();
        if (target_.empty()) {
          say("no service selected", true);
          break;
        }
        mode_ = Mode::kMaintenance;
        overlay_.prompt = "maintenance for " + target_ + " (a duration like 10m, or 'end'): ";
        overlay_.input.clear();
        break;
      }
      case 'a':
        ack();
        break;
      case 12:  // Ctrl-L
        clearok(curscr, TRUE);
        break;
      default:
        break;  // KEY_RESIZE and anything else: just redraw
    }
  }

  void editPrompt(int ch) {
    if (ch == 27 || ch == 3) {  // Esc / Ctrl-C: cancel (a filter is cleared)
      if (mode_ == Mode::kFilter) model_.setFilter("");
      closePrompt();
      return;
    }
    if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
      if (mode_ == Mode::kMaintenance) maintenance(overlay_.input);
      closePrompt();
      return;
    }
    if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
      if (!overlay_.input.empty()) overlay_.input.pop_back();
    } else if (ch >= 32 && ch < 127 && overlay_.input.size() < 64) {
      overlay_.input.push_back(static_cast<char>(ch));
    } else {
      return;
    }
    if (mode_ == Mode::kFilter) model_.setFilter(overlay_.input);
  }

  void closePrompt() {
    mode_ = Mode::kNormal;
    overlay_.prompt.clear();
    overlay_.input.clear();
  }

  void recover() {
    const auto service = model_.selectedService();
    if (service.empty()) return say("no service selected", true);
    auto r =
        api_.call("POST", "/api/v1/services/" + service + "/recover", nlohmann::json::object());
    if (!r) return say("recover " + service + ": " + r.error().message, true);
    say("recovery of " + service + " requested", false);
  }

  void maintenance(const std::string& input) {
    nlohmann::json body;
    if (input == "end") {
      body = {{"end", true}};
    } else if (auto d = parseDuration(input); d && d->count() > 0) {
      body = {{"for", input}};
    } else {
      return say("maintenance: '" + input + "' is not a duration (e.g. 30s, 10m, 1h) or 'end'",
                 true);
    }
    auto r = api_.call("POST", "/api/v1/services/" + target_ + "/maintenance", body);
    if (!r) return say("maintenance " + target_ + ": " + r.error().message, true);
    say(input == "end" ? "maintenance of " + target_ + " ended"
                       : "maintenance of " + target_ + " until " + r->value("until", ""),
        false);
    (void)fetchStatus(model_, api_, false);
  }

  void ack() {
    auto id = model_.alertToAck();
    if (!id) return say("no open alert to acknowledge (Tab selects among the alerts)", true);
    auto r = api_.call("POST", fmt::format("/api/v1/alerts/{}/ack", *id), nlohmann::json::object());
    if (!r) return say(fmt::format("ack alert {}: {}", *id, r.error().message), true);
    say(fmt::format("alert {} acknowledged", *id), false);
    (void)fetchStatus(model_, api_, true);
  }

  const DaemonApi& api_;
  ScreenOptions options_;
  Model model_;
  Inbox inbox_;
  Overlay overlay_;
  Mode mode_ = Mode::kNormal;
  std::string target_;
  bool quit_ = false;
  int streams_total_ = 0;
  Millis backoff_{250};
  SteadyClock::time_point next_retry_{};
  SteadyClock::time_point next_refresh_{};
};

}  // namespace

int runScreen(const DaemonApi& api, const ScreenOptions& options) {
  if (isatty(STDIN_FILENO) == 0 || isatty(STDOUT_FILENO) == 0) {
    std::cerr << "medic top: needs a terminal; use --once (one plain-text frame) or --json\n";
    return 2;
  }
  Session session(api, options);
  return session.run();
}

}  // namespace medic::tui
