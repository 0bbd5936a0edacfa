// What a user of the built medic sees: `medic --help` and every command's --help with examples,
// a man page that `man` renders, and bash completion that completes every command `--help` lists.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "medic_cli.h"
#include "support/require_tool.h"

namespace medic::test {
namespace {

using namespace std::chrono_literals;

std::string distDir() {
  return std::string(MEDIC_BINARY_DIR) + "/dist";
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The commands listed under "SUBCOMMANDS:" in `medic --help` (CLI11's layout: two spaces, the
/// name, spaces, the description).
std::vector<std::string> commandsInHelp() {
  auto r = runMedic({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  std::vector<std::string> names;
  std::istringstream in(r.out);
  bool in_list = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "Subcommands:" || line == "SUBCOMMANDS:") {
      in_list = true;
      continue;
    }
    if (!in_list) continue;
    if (line.rfind("  ", 0) != 0 || line.size() < 3 || line[2] == ' ') {
      if (!names.empty() && line.empty()) break;
      continue;
    }
    names.push_back(line.substr(2, line.find(' ', 2) - 2));
  }
  return names;
}

/// COMPREPLY of the generated bash completion for the words typed so far (the last is the word
/// being completed), one word per line.
std::set<std::string> complete(const std::vector<std::string>& words) {
  std::string script = "source '" + distDir() + "/completions/medic' || exit 3\nCOMP_WORDS=(";
  for (const auto& w : words) script += " '" + w + "'";
  script += " )\nCOMP_CWORD=" + std::to_string(words.size() - 1) +
            "\n_medic\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
  auto r = runProcess({"bash", "--noprofile", "--norc", "-c", script}, 20s);
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.err, "");
  std::set<std::string> out;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.insert(line);
  }
  return out;
}

TEST(HelpDocs, EveryCommandsHelpHasExamples) {
  const auto commands = commandsInHelp();
  ASSERT_GE(commands.size(), 9u);
  auto top = runMedic({"--help"});
  EXPECT_NE(top.out.find("\nExamples:\n  medic "), std::string::npos) << top.out;
  for (const auto& c : commands) {
    auto r = runMedic({c, "--help"});
    EXPECT_EQ(r.exit_code, 0) << c << ": " << r.describe();
    EXPECT_NE(r.out.find("\nExamples:\n  "), std::string::npos) << c << ":\n" << r.out;
    const auto examples = r.out.substr(r.out.find("Examples:"));
    EXPECT_NE(examples.find(c), std::string::npos) << "no example uses " << c << ":\n" << r.out;
  }
}

TEST(HelpDocs, ManPageRendersWithEveryCommand) {
  const std::string page = distDir() + "/man/man1/medic.1";
  // The build made it from the binary; it is what `medic man` prints now.
  auto generated = runMedic({"man"});
  ASSERT_EQ(generated.exit_code, 0) << generated.describe();
  EXPECT_EQ(readFile(page), generated.out) << "rebuild: " << page << " is stale";
  // `man ./medic.1` as a user would run it (not on a terminal: plain text), groff warnings on.
  auto r =
      runProcess({"env", "MANWIDTH=100", "MANPAGER=cat", "man", "--warnings", "-l", page}, 30s);
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.err, "") << "groff warnings";
  for (const char* heading : {"NAME", "SYNOPSIS", "DESCRIPTION", "GLOBAL OPTIONS", "COMMANDS",
                              "EXAMPLES", "FILES", "EXIT STATUS", "SEE ALSO"}) {
    EXPECT_NE(r.out.find(std::string("\n") + heading + "\n"), std::string::npos) << heading;
  }
  EXPECT_NE(r.out.find("medic - keeps the services on a Docker host alive"), std::string::npos)
      << r.out.substr(0, 400);
  for (const auto& c : commandsInHelp()) {
    EXPECT_NE(r.out.find("   medic " + c), std::string::npos) << c;
  }
  EXPECT_NE(r.out.find("--state-dir DIR"), std::string::npos);
  EXPECT_NE(r.out.find("medic drill webui --fault kill"), std::string::npos);
}

TEST(HelpDocs, BashCompletesEveryCommandInHelp) {
  const auto commands = commandsInHelp();
  ASSERT_FALSE(commands.empty());
  const auto offered = complete({"medic", ""});
  for (const auto& c : commands) EXPECT_TRUE(offered.count(c)) << c << " is not completed";
  EXPECT_FALSE(offered.count("man"));  // hidden
  // Each command's own options, after global options with values.
  for (const auto& c : commands) {
    auto help = runMedic({c, "--help"});
    std::istringstream in(help.out);
    const auto options = complete({"medic", "--config", "x.yaml", c, "--"});
    for (std::string line; std::getline(in, line);) {
      const auto dashes = line.find("  --");
      if (line.rfind("  ", 0) != 0 || dashes == std::string::npos) continue;
      std::string name = line.substr(dashes + 2, line.find_first_of(" ,", dashes + 2) - dashes - 2);
      if (name == "--help" || name == "--help-all") continue;
      EXPECT_TRUE(options.count(name)) << c << " " << name << " is not completed";
    }
  }
}

TEST(HelpDocs, BashCompletesPrefixesAndValues) {
  EXPECT_EQ(complete({"medic", "dr"}), std::set<std::string>{"drill"});
  EXPECT_EQ(complete({"medic", "drill", "webui", "--fault", ""}),
            (std::set<std::string>{"stop", "kill", "remove", "pause"}));
  EXPECT_EQ(complete({"medic", "--log-level", "w"}), (std::set<std::string>{"warn"}));
  EXPECT_EQ(complete({"medic", "install-service", "--dr"}), std::set<std::string>{"--dry-run"});
  // Global options come before or after the command.
  EXPECT_TRUE(complete({"medic", "check", "--st"}).count("--state-dir"));
  // Path options complete file names.
  TempDir dir;
  dir.write("medic.yaml", "");
  EXPECT_EQ(complete({"medic", "--config", dir.path() + "/med"}),
            std::set<std::string>{dir.path() + "/medic.yaml"});
}

TEST(HelpDocs, CompletionCommandPrintsTheInstalledScripts) {
  auto bash = runMedic({"completion", "bash"});
  ASSERT_EQ(bash.exit_code, 0) << bash.describe();
  EXPECT_EQ(bash.out, readFile(distDir() + "/completions/medic"));
  auto syntax = runProcess({"bash", "-n", distDir() + "/completions/medic"}, 10s);
  EXPECT_EQ(syntax.exit_code, 0) << syntax.describe();
  auto zsh = runMedic({"completion", "zsh"});
  ASSERT_EQ(zsh.exit_code, 0) << zsh.describe();
  EXPECT_EQ(zsh.out, readFile(distDir() + "/completions/_medic"));
  auto bad = runMedic({"completion", "fish"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("fish"), std::string::npos) << bad.err;
}

TEST(HelpDocs, ZshLoadsTheCompletionForMedic) {
  MEDIC_REQUIRE_TOOL_OR_SKIP("/usr/bin/zsh", "zsh");
  const std::string dir = distDir() + "/completions";
  auto syntax = runProcess({"zsh", "-n", dir + "/_medic"}, 10s);
  EXPECT_EQ(syntax.exit_code, 0) << syntax.describe();
  // compinit finds #compdef medic in $fpath and binds _medic to the medic command.
  TempDir home;
  auto bound = runProcess({"zsh", "-f", "-c",
                           "fpath=('" + dir + "' $fpath); autoload -Uz compinit; compinit -u -d '" +
                               home.path() + "/zcompdump'; print -r -- $_comps[medic]"},
                          30s);
  EXPECT_EQ(bound.out, "_medic\n") << bound.describe();
}

}  // namespace
}  // namespace medic::test
