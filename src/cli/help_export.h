#pragma once
/// The man page and the shell completions, generated from the same CLI11 app that prints `--help`
/// (issue 8), so the three can never disagree. Pure: text in, text out; the app is only read.
///
/// Conventions the generators rely on (and tests/unit/cli/help_test.cc checks): every visible
/// subcommand has a description and a footer that starts with "Examples:" followed by one example
/// per line ("  medic ...   # optional comment"); a subcommand with an empty group is hidden.

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace medic::cli {

/// The subcommands `medic --help` lists, in registration order (hidden ones left out).
std::vector<const CLI::App*> visibleSubcommands(const CLI::App& root);

/// The options of `app` a user types, help flags left out (CLI11 adds them to every app).
std::vector<const CLI::Option*> userOptions(const CLI::App& app);

/// One example of a footer: the command line and its comment ("" when it has none).
struct HelpExample {
  std::string command;
  std::string comment;
};

/// The examples of an app's footer ("Examples:" then one per line); empty when it has none.
std::vector<HelpExample> examplesOf(const CLI::App& app);

/// medic(1) in troff (man(7) macros): NAME, SYNOPSIS, DESCRIPTION, GLOBAL OPTIONS, a subsection
/// per command with its options and examples, EXAMPLES, FILES, EXIT STATUS, SEE ALSO.
std::string manPage(const CLI::App& root, std::string_view version);

/// A bash completion script defining `_medic` and registering it for `medic`: subcommands, each
/// subcommand's options and the global ones, file and directory names for path options.
std::string bashCompletion(const CLI::App& root);

/// A zsh completion script (`#compdef medic`) with the same content, plus descriptions.
std::string zshCompletion(const CLI::App& root);

}  // namespace medic::cli
