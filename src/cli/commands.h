#pragma once
/// One file per subcommand. Each register function adds its subcommand to the root and arranges for
/// `exit_status` to be set when it runs.

#include <CLI/CLI.hpp>

#include "cli/global_options.h"

namespace medic::cli {

void registerCheck(CLI::App& root, const GlobalOptions& global, int& exit_status);
void registerVersion(CLI::App& root, const GlobalOptions& global, int& exit_status);
void registerWatch(CLI::App& root, const GlobalOptions& global, int& exit_status);
void registerStatus(CLI::App& root, const GlobalOptions& global, int& exit_status);
void registerRecover(CLI::App& root, const GlobalOptions& global, int& exit_status);
void registerMaintenance(CLI::App& root, const GlobalOptions& global, int& exit_status);
void registerDrill(CLI::App& root, const GlobalOptions& global, int& exit_status);
void registerEvents(CLI::App& root, const GlobalOptions& global, int& exit_status);
void registerDeploy(CLI::App& root, const GlobalOptions& global, int& exit_status);
/// Registers both `confirm` and `reject`.
void registerConfirm(CLI::App& root, const GlobalOptions& global, int& exit_status);
void registerTop(CLI::App& root, const GlobalOptions& global, int& exit_status);
void registerEvidence(CLI::App& root, const GlobalOptions& global, int& exit_status);
void registerClaim(CLI::App& root, const GlobalOptions& global, int& exit_status);
void registerGate(CLI::App& root, const GlobalOptions& global, int& exit_status);
void registerBaseline(CLI::App& root, const GlobalOptions& global, int& exit_status);
void registerInstallService(CLI::App& root, const GlobalOptions& global, int& exit_status);
void registerReport(CLI::App& root, const GlobalOptions& global, int& exit_status);
/// `alert test`: a test alert through each configured sink.
void registerAlert(CLI::App& root, const GlobalOptions& global, int& exit_status);
/// `mcp`: the MCP server over stdio (src/mcp).
void registerMcp(CLI::App& root, const GlobalOptions& global, int& exit_status);
/// `man` (hidden) and `completion`: generated from `root` as it is when they run, so register them
/// last.
void registerDocs(CLI::App& root, int& exit_status);

}  // namespace medic::cli
