#pragma once
/// Fresh facts gathered by the CLI itself, for commands that work without a daemon (`medic gate`,
/// `medic claim` when no daemon runs; `medic baseline` always): the local engine is inspected and
/// the probes run now, in this process. Evidence made here is printed, not stored.

#include "check/fresh.h"
#include "cli/global_options.h"
#include "config/config.h"
#include "core/result.h"

namespace medic::cli {

/// `cfg` as resolveConfig() gave it (--docker already applied).
Result<check::FreshFacts> gatherLocally(const GlobalOptions& global, const config::Config& cfg,
                                        bool with_endpoints);

/// The baseline file in the state dir (`medic baseline` writes it, gate 3 reads it).
std::string baselinePath(const std::string& state_dir);

}  // namespace medic::cli
