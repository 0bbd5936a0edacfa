// The help every user reads: each command has examples, and the man page and completions generated
// from the same definitions cover every command and option.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "app/main.h"
#include "cli/help_export.h"

namespace medic::cli {
namespace {

class HelpTest : public ::testing::Test {
 protected:
  HelpTest() { app::buildCli(root_, global_, exit_status_); }
  CLI::App root_{"", "medic"};
  GlobalOptions global_;
  int exit_status_ = 0;
};

TEST_F(HelpTest, EveryCommandHasADescriptionAndExamplesThatRunIt) {
  const auto subs = visibleSubcommands(root_);
  ASSERT_GE(subs.size(),
            9u);  // check watch status recover maintenance drill events install-service version
  for (const auto* sub : subs) {
    SCOPED_TRACE(sub->get_name());
    EXPECT_FALSE(sub->get_description().empty());
    const auto examples = examplesOf(*sub);
    ASSERT_FALSE(examples.empty()) << "no Examples: footer";
    for (const auto& e : examples) {
      EXPECT_NE(e.command.find("medic"), std::string::npos) << e.command;
      EXPECT_NE(e.command.find(sub->get_name()), std::string::npos) << e.command;
    }
    // What `medic <command> --help` prints.
    EXPECT_NE(sub->help().find("\nExamples:\n  "), std::string::npos) << sub->help();
  }
  EXPECT_FALSE(examplesOf(root_).empty());
  EXPECT_NE(root_.help().find("Examples:"), std::string::npos);
}

TEST_F(HelpTest, ExamplesKeepTheirComments) {
  const auto examples = examplesOf(*root_.get_subcommand("check"));
  ASSERT_GE(examples.size(), 2u);
  EXPECT_EQ(examples[1].command, "medic check --all --json");
  EXPECT_EQ(examples[1].comment, "every container, as JSON with evidence");
}

TEST_F(HelpTest, HiddenManCommandIsNotListed) {
  for (const auto* sub : visibleSubcommands(root_)) EXPECT_NE(sub->get_name(), "man");
  EXPECT_EQ(root_.help().find("\n  man "), std::string::npos) << root_.help();
  EXPECT_NE(root_.get_subcommand("man"), nullptr);
}

TEST_F(HelpTest, ManPageHasASectionPerCommandWithItsOptionsAndExamples) {
  const std::string page = manPage(root_, "9.9.9");
  EXPECT_EQ(page.find(".TH MEDIC 1 \"\" \"medic 9.9.9\""), page.find(".TH"));
  for (const char* section : {".SH NAME\nmedic \\- keeps the services on a Docker host alive",
                              ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH GLOBAL OPTIONS",
                              ".SH COMMANDS", ".SH EXAMPLES", ".SH FILES", ".SH EXIT STATUS"}) {
    EXPECT_NE(page.find(section), std::string::npos) << section;
  }
  for (const auto* sub : visibleSubcommands(root_)) {
    std::string name = sub->get_name();  // hyphens are escaped in troff
    for (size_t at = 0; (at = name.find('-', at)) != std::string::npos; at += 2) name.insert(at, "\\");
    EXPECT_NE(page.find(".SS \"medic " + name), std::string::npos) << name;
  }
  // Options with their value placeholders, hyphens escaped for troff.
  EXPECT_NE(page.find("\\fB\\-\\-config\\fR \\fIFILE\\fR"), std::string::npos);
  EXPECT_NE(page.find(".SS \"medic recover SERVICE\""), std::string::npos);
  EXPECT_NE(page.find("\\fB\\-\\-fault\\fR \\fITEXT\\fR"), std::string::npos);
  EXPECT_NE(page.find("medic drill webui \\-\\-fault kill"), std::string::npos);
  // The help flag CLI11 adds to every command is not an option worth a man entry.
  EXPECT_EQ(page.find("\\fB\\-h\\fR"), std::string::npos);
  // Only the man(7) macros the generator writes start a line with '.' or '\'': text that begins
  // with one (an example, a description) must have been escaped.
  const std::set<std::string> macros{".TH", ".SH", ".SS", ".TP", ".PP", ".RS", ".RE",
                                     ".nf", ".fi", ".B",  ".BR", ".I",  ".br", ".\\\""};
  std::istringstream lines(page);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || (line[0] != '.' && line[0] != '\'')) continue;
    EXPECT_TRUE(macros.count(line.substr(0, line.find(' ')))) << line;
  }
}

TEST_F(HelpTest, BashCompletionNamesEveryCommandAndItsOptions) {
  const std::string script = bashCompletion(root_);
  EXPECT_NE(script.find("complete -F _medic medic"), std::string::npos);
  std::string all;
  for (const auto* sub : visibleSubcommands(root_))
    all += (all.empty() ? "" : " ") + sub->get_name();
  EXPECT_NE(script.find("_medic_words \"" + all + "\""), std::string::npos) << script;
  EXPECT_NE(script.find("--fault) _medic_words \"stop kill remove pause\""), std::string::npos);
  EXPECT_NE(script.find("--config) _medic_files -f"), std::string::npos);
  EXPECT_NE(script.find("--state-dir) _medic_files -d"), std::string::npos);
}

TEST_F(HelpTest, ZshCompletionDescribesEveryCommand) {
  const std::string script = zshCompletion(root_);
  EXPECT_EQ(script.rfind("#compdef medic\n", 0), 0u);
  for (const auto* sub : visibleSubcommands(root_)) {
    EXPECT_NE(script.find("    '" + sub->get_name() + ":"), std::string::npos) << sub->get_name();
    EXPECT_NE(script.find("        " + sub->get_name() + ")\n"), std::string::npos);
  }
  EXPECT_NE(script.find("'--log-level[trace, debug, info, warn or error]:LEVEL:(trace debug info "
                        "warn error)'"),
            std::string::npos)
      << script;
}

}  // namespace
}  // namespace medic::cli
