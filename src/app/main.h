#pragma once

#include <CLI/CLI.hpp>

#include "cli/global_options.h"

namespace medic::app {

/// Adds every command and global option to `root` (named "medic"). The options write into
/// `global`; the command that runs sets `exit_status`. Both must outlive `root`'s parse.
void buildCli(CLI::App& root, cli::GlobalOptions& global, int& exit_status);

/// Parses the command line and runs one command; returns the process exit status.
int runMain(int argc, char** argv);

}  // namespace medic::app
