#pragma once

namespace medic::app {

/// Parses the command line and runs one command; returns the process exit status.
int runMain(int argc, char** argv);

}  // namespace medic::app
