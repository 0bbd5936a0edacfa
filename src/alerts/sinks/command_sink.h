#pragma once
/// A command on the host, as an argv array (never a shell): the alert goes in as MEDIC_ALERT_*
/// environment variables and as JSON (toJson) on stdin. The command gets a deadline, then its
/// whole process group is killed and reaped.

#include <memory>
#include <string>
#include <vector>

#include "alerts/sink.h"

namespace medic::alerts {

/// The child's whole environment: MEDIC_ALERT_{ID,KEY,SEVERITY,STATE,SERVICE,TITLE,TEXT,CREATED,
/// UPDATED,FIRE_COUNT,ACKED} plus PATH, HOME, LANG and TZ from medic's own environment when set.
/// Nothing else is inherited, so secrets in medic's environment never reach the command.
std::vector<std::string> commandEnvironment(const Alert& alert);

struct CommandResult {
  int exit_code = -1;  ///< 128 + N when killed by signal N
  bool timed_out = false;
};

/// Spawns argv (argv[0] looked up in PATH when it has no '/') in its own process group with `env`,
/// writes `stdin_text` to its stdin then closes it, and waits for it to exit. stdout and stderr go
/// to /dev/null. When `timeout` passes the group is SIGKILLed and reaped. Blocking; errors when it
/// cannot be started.
Result<CommandResult> runAlertCommand(const std::vector<std::string>& argv,
                                      const std::vector<std::string>& env,
                                      const std::string& stdin_text, Millis timeout);

class CommandSink final : public Sink {
 public:
  CommandSink(std::vector<std::string> argv, Millis timeout);
  ~CommandSink() override;

  boost::asio::awaitable<Status> deliver(const Alert& alert, const SinkContext& ctx) override;

 private:
  std::vector<std::string> argv_;
  Millis timeout_;
  /// The command runs on this sink's own thread, so a slow command holds up no other sink.
  struct Thread;
  std::unique_ptr<Thread> thread_;
};

}  // namespace medic::alerts
