// medic man, medic completion: the man page and the shell completions, printed from the very
// definitions `medic --help` shows (help_export.h). The build runs them to produce the files the
// Debian package installs (cmake/MedicPackage.cmake).
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/help_export.h"

namespace medic::cli {

void registerDocs(CLI::App& root, int& exit_status) {
  // Hidden (empty group): it is how the build makes medic.1; users read the page with `man medic`.
  auto* man = root.add_subcommand("man", "Print the medic(1) man page (troff)");
  man->group("");
  man->footer("Examples:\n  medic man > medic.1 && man ./medic.1");
  man->callback([&root, &exit_status] {
    std::cout << manPage(root, MEDIC_VERSION);
    exit_status = kExitOk;
  });

  auto shell = std::make_shared<std::string>();
  auto* completion = root.add_subcommand(
      "completion",
      "Print the shell completion script for bash or zsh (the Debian package installs both).");
  completion->add_option("SHELL", *shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
  completion->footer(
      "Examples:\n"
      "  source <(medic completion bash)           # in ~/.bashrc\n"
      "  medic completion zsh > ~/.zfunc/_medic    # a directory in $fpath");
  completion->callback([&root, &exit_status, shell] {
    std::cout << (*shell == "zsh" ? zshCompletion(root) : bashCompletion(root));
    exit_status = kExitOk;
  });
}

}  // namespace medic::cli
