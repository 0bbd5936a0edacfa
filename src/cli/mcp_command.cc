// `medic mcp`: medic as an MCP (Model Context Protocol) server over stdio, for an agent that
// starts it as its tool server (docs/mcp.md). It talks to the running daemon like every other
// command: address and token from the state dir, or --url.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "core/log.h"
#include "mcp/stdio_server.h"

namespace medic::cli {
namespace {

struct McpOptions {
  bool read_only = false;
};

int runMcp(const GlobalOptions& global, const McpOptions& opt) {
  config::Config cfg;
  try {
    cfg = resolveConfig(global);
  } catch (const config::ConfigError& e) {
    std::cerr << "medic mcp: " << e.what() << "\n";
    return kExitError;
  }
  // spdlog's own default logger writes to stdout, which carries the protocol here.
  setupLogging(global.log_level.empty() ? "warn" : global.log_level);
  mcp::StdioOptions options;
  const std::string state_dir = resolveStateDir(global, cfg);
  const std::string url = global.url;
  options.locate = [state_dir, url] { return http::findDaemon(state_dir, url); };
  options.read_only = opt.read_only;
  // stdout carries the protocol only; a daemon that is not running yet is no reason to stop
  // (each tool says so until it is), but say it once on stderr.
  if (auto where = options.locate(); !where) {
    std::cerr << "medic mcp: " << where.error().message << "\n";
  }
  return mcp::runStdio(options, std::cin, std::cout);
}

}  // namespace

void registerMcp(CLI::App& root, const GlobalOptions& global, int& exit_status) {
  auto o = std::make_shared<McpOptions>();
  auto* cmd = root.add_subcommand(
      "mcp",
      "Serve MCP (Model Context Protocol) over stdio for an AI agent that starts medic as its\n"
      "tool server: tools status, service, claim, gate, evidence, incidents, baseline_diff,\n"
      "recover, maintenance, deploy, confirm_deploy, reject_deploy, and the resources\n"
      "medic://status, medic://services/{name}, medic://evidence/{id} with subscriptions.\n"
      "Answers come from the running daemon (found through the state dir, or --url); the\n"
      "tools that change the host, and claim, need the token in the state dir (refused with\n"
      "--read-only). stdout carries only the protocol. The daemon also serves MCP over\n"
      "Streamable HTTP at /mcp on its listener. An agent client's config (docs/mcp.md):\n"
      "  {\"mcpServers\": {\"medic\": {\"command\": \"medic\", \"args\": [\"mcp\"]}}}");
  cmd->footer(
      "Examples:\n"
      "  medic mcp                                   # state dir's daemon, token included\n"
      "  medic mcp --state-dir /var/lib/medic --read-only   # no tool that changes the host\n"
      "  medic mcp --url http://127.0.0.1:8080\n"
      "  echo '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}' | medic mcp");
  cmd->add_flag("--read-only", o->read_only,
                "Never send the token: recover, maintenance, deploy, confirm_deploy, "
                "reject_deploy and claim are refused");
  cmd->callback([&global, &exit_status, o] { exit_status = runMcp(global, *o); });
}

}  // namespace medic::cli
